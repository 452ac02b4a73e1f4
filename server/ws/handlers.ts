/**
 * The thin dispatcher from wire frames to domain calls: one handler per agent frame type, in a
 * map checked with `satisfies`, so a frame type nobody handles fails to compile. Handlers only
 * translate; the registry and the dispatcher do the work and know nothing of frames.
 */
import { AuthError, RateLimitError } from '../../core/errors';
import type { FrameOf, FromAgent } from '../../core/protocol';
import type { DeviceRegistry } from '../registry/registry';
import type { AgentLink } from '../scheduler/agent-link';
import type { Dispatcher } from '../scheduler/dispatcher';
import { CLOSE, type AgentSession } from './session';

export interface WireDeps {
  registry: DeviceRegistry;
  dispatcher: Dispatcher;
  heartbeatMs: number;
  log: (line: string) => void;
  /** An older connection of the same device lost its place to a newer one. */
  replaced(previous: AgentLink): void;
  /** A device's agent was welcomed. */
  connected(deviceId: string): void;
}

type FrameHandlers = { [T in FromAgent['type']]: (session: AgentSession, frame: FrameOf<FromAgent, T>, deps: WireDeps) => Promise<void> };

export const frameHandlers = {
  hello: async (session, frame, deps) => {
    if (session.authenticated) {
      session.sendError('already_authenticated', 'hello was already accepted on this connection; ignored');
      return;
    }
    let device;
    try {
      device = await deps.registry.authenticate(frame.token, session.remote);
      device = await deps.registry.connected(device, { kind: frame.kind, agentVersion: frame.agentVersion, device: frame.device, host: frame.host });
    } catch (error) {
      if (error instanceof AuthError || error instanceof RateLimitError) {
        deps.log(`agent from ${session.remote} refused: ${error.message}`);
        session.sendError(error instanceof RateLimitError ? 'rate_limited' : 'auth_failed', error.message);
        session.close(CLOSE.authFailed, 'authentication failed');
        return;
      }
      throw error;
    }
    session.authenticate({ id: device.id, name: device.name });
    session.send({ type: 'welcome', deviceId: device.id, deviceName: device.name, heartbeatMs: deps.heartbeatMs, serverTime: Date.now() });
    deps.log(`agent ${device.name} (${frame.kind}, ${frame.device.runtime} ${frame.device.runtimeVersion}) connected from ${session.remote}`);
    const previous = await deps.dispatcher.attach(session);
    if (previous && previous !== session) deps.replaced(previous);
    deps.connected(device.id);
  },

  heartbeat: async (session, frame, deps) => {
    await deps.registry.seen(session.deviceId, frame.busyJobId !== null);
    await deps.dispatcher.heartbeat(session, frame.busyJobId);
  },

  progress: async (session, frame, deps) => {
    // Liveness and lease extension need no more than a few writes per heartbeat interval.
    const now = Date.now();
    if (now - session.lastProgressWrite < deps.heartbeatMs / 2) return;
    session.lastProgressWrite = now;
    await deps.registry.seen(session.deviceId, true);
    await deps.dispatcher.progress(session, { jobId: frame.jobId, attempt: frame.attempt });
  },

  result: async (session, frame, deps) => {
    const recorded = await deps.dispatcher.result(session, { jobId: frame.jobId, attempt: frame.attempt }, frame.measurement);
    session.send({ type: 'ack', jobId: frame.jobId, attempt: frame.attempt, stored: recorded.stored });
  },

  release: async (session, frame, deps) => {
    await deps.dispatcher.release(session, { jobId: frame.jobId, attempt: frame.attempt }, frame.reason);
  },

  error: async (session, frame, deps) => {
    deps.log(`agent ${session.deviceName} reports an error${frame.jobId ? ` about job ${frame.jobId}` : ''}: ${frame.message}`);
    if (frame.jobId !== null) await deps.dispatcher.agentError(session, frame.jobId, frame.message);
  },
} satisfies FrameHandlers;

export function handleFrame(session: AgentSession, frame: FromAgent, deps: WireDeps): Promise<void> {
  const handler = frameHandlers[frame.type] as (s: AgentSession, f: FromAgent, d: WireDeps) => Promise<void>;
  return handler(session, frame, deps);
}
