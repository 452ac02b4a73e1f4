/**
 * A minimal SOCKS5 server (RFC 1928, CONNECT, no auth) that the simulated phone's browser uses
 * as its network: every connection it accepts is carried over adb as a device-opened stream, the
 * data path of `adb reverse`. Connections to anything else are refused, as on a phone whose only
 * link to the farm is the USB cable.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { SimStream } from './stream';

/** Opens the device-side connection for host:port, or returns null to refuse it. */
export type SocksConnector = (host: string, port: number) => Promise<SimStream | null>;

function reply(socket: Socket, code: number): void {
  socket.write(Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]));
}

export function pipeToStream(socket: Socket, stream: SimStream): void {
  stream.onData(
    (chunk) =>
      new Promise<void>((resolve) => {
        if (socket.destroyed || socket.write(chunk)) resolve();
        else socket.once('drain', () => resolve());
      }),
  );
  stream.onClose(() => socket.end());
  socket.on('data', (chunk: Buffer) => {
    socket.pause();
    void stream.write(chunk).then(() => socket.resume());
  });
  socket.on('close', () => stream.close());
  socket.on('error', () => stream.close());
}

function handle(socket: Socket, connect: SocksConnector): void {
  let buffer = Buffer.alloc(0);
  let stage: 'greeting' | 'request' | 'done' = 'greeting';
  const onData = (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (stage === 'greeting') {
      if (buffer.length < 2 || buffer.length < 2 + buffer[1]) return;
      if (buffer[0] !== 5) return void socket.destroy();
      buffer = buffer.subarray(2 + buffer[1]);
      socket.write(Buffer.from([5, 0]));
      stage = 'request';
    }
    if (stage !== 'request' || buffer.length < 5) return;
    const atyp = buffer[3];
    const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + buffer[4] : -1;
    if (addrLen < 0 || buffer[1] !== 1) {
      reply(socket, 7);
      return void socket.end();
    }
    if (buffer.length < 4 + addrLen + 2) return;
    const host = atyp === 1 ? [...buffer.subarray(4, 8)].join('.') : atyp === 3 ? buffer.subarray(5, 5 + buffer[4]).toString('utf8') : '::';
    const port = buffer.readUInt16BE(4 + addrLen);
    const rest = buffer.subarray(4 + addrLen + 2);
    stage = 'done';
    socket.off('data', onData);
    socket.pause();
    connect(host, port).then(
      (stream) => {
        if (!stream) {
          reply(socket, 5);
          return void socket.end();
        }
        reply(socket, 0);
        pipeToStream(socket, stream);
        if (rest.length) void stream.write(rest);
        socket.resume();
      },
      () => {
        reply(socket, 5);
        socket.end();
      },
    );
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

export async function startSocksServer(connect: SocksConnector): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    handle(socket, connect);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
