/**
 * A deadline for a connection's first request. Node enforces `headersTimeout` only on some
 * sockets (one that sends nothing, or half a request line, stays open), so every new socket gets
 * a timer: no complete request (or WebSocket upgrade) within `ms`, and it is cut. With the
 * agent's hello deadline after the upgrade, an unauthenticated connection lives seconds at most.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function cutSilentConnections(server: Server, ms: number): void {
  const started = new WeakSet<object>();
  server.on('request', (req) => started.add(req.socket));
  server.on('upgrade', (req) => started.add(req.socket));
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (!started.has(socket)) socket.destroy();
    }, ms).unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
