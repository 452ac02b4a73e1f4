/**
 * The wire side of the runtime: frames in and out through core/protocol.ts, and a typed handler
 * map. `satisfies ToAgentHandlers` on the map makes a new coordinator frame type that nobody
 * handles a compile error.
 */
import { decodeToAgent, encodeFrame, type Decoded, type FrameOf, type FromAgentInput, type ToAgent, type Unversioned } from '../../core/protocol';

export type ToAgentHandlers = { [K in ToAgent['type']]: (frame: FrameOf<ToAgent, K>) => void | Promise<void> };

export type OutgoingFrame = Unversioned<FromAgentInput>;

export function encodeOutgoing(frame: OutgoingFrame): string {
  return encodeFrame<FromAgentInput>(frame);
}

export function decodeIncoming(raw: string | ArrayBuffer | Uint8Array): Decoded<ToAgent> {
  return decodeToAgent(raw);
}

/** Calls the handler of the frame's type. */
export function dispatch(handlers: ToAgentHandlers, frame: ToAgent): void | Promise<void> {
  const handler = handlers[frame.type] as (f: ToAgent) => void | Promise<void>;
  return handler(frame);
}
