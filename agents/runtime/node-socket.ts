/** SocketFactory for Node agents on the `ws` package, with ping/pong keepalive for silent network cuts. */
import WebSocket from 'ws';
import { MAX_FRAME_BYTES } from '../../core/protocol';
import type { SocketFactory } from './platform';

export interface NodeSocketOptions {
  /** Ping this often; a ping still unanswered at the next one drops the connection. 0 = off. */
  keepaliveMs?: number;
  /** Deadline for the HTTP upgrade. */
  handshakeTimeoutMs?: number;
}

export function nodeSocketFactory(options: NodeSocketOptions = {}): SocketFactory {
  const keepaliveMs = options.keepaliveMs ?? 15_000;
  return (url, events) => {
    // Frames over the limit still arrive (with slack) so the decoder can name the problem.
    const ws = new WebSocket(url, { handshakeTimeout: options.handshakeTimeoutMs ?? 10_000, maxPayload: MAX_FRAME_BYTES * 2, perMessageDeflate: false });
    let awaitingPong = false;
    let keepalive: ReturnType<typeof setInterval> | null = null;
    ws.on('open', () => {
      if (keepaliveMs > 0) {
        keepalive = setInterval(() => {
          if (awaitingPong) return ws.terminate();
          awaitingPong = true;
          ws.ping();
        }, keepaliveMs);
      }
      events.open();
    });
    ws.on('pong', () => (awaitingPong = false));
    ws.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      events.message(isBinary ? new Uint8Array(buffer) : buffer.toString('utf8'));
    });
    ws.on('error', (error) => events.error(error));
    ws.on('close', (code, reason) => {
      if (keepalive) clearInterval(keepalive);
      events.close(code, reason.toString('utf8'));
    });
    return {
      send: (data) => ws.send(data),
      close: (code, reason) => ws.close(code, reason),
      terminate: () => ws.terminate(),
    };
  };
}
