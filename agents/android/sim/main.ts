/**
 * `ofa-farm android-sim`: a simulated Android phone listening on TCP for the adb server
 * (`adb connect 127.0.0.1:PORT`). One process may run several; each has its own sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../core/errors';
import { SimDevice, type BrowserHook } from './device';
import type { SimProfile } from './profile';
import { DeviceConnection } from './transport';

export interface AndroidSimOptions {
  profile: SimProfile;
  /** TCP port; 0 (default) picks a free one. 5555-5585 are refused: adb probes them as emulators. */
  port?: number;
  host?: string;
  /** Overrides the profile's serial (ro.serialno). */
  serial?: string;
  /** Where pushed files land; default a fresh temporary directory, removed on stop. */
  sandbox?: string;
  /** Opens `am start` URLs; null = no browser. */
  browser?: BrowserHook | null;
  /** Starting skin temperature, overriding the profile. */
  startTempC?: number;
  log?: (message: string) => void;
}

export interface AndroidSim {
  host: string;
  port: number;
  /** The serial the adb server will list after `adb connect`: `host:port`. */
  adbSerial: string;
  serial: string;
  device: SimDevice;
  stop(): Promise<void>;
}

export const EMULATOR_PORTS = { min: 5555, max: 5585 } as const;

export async function startAndroidSim(opts: AndroidSimOptions): Promise<AndroidSim> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  if (port >= EMULATOR_PORTS.min && port <= EMULATOR_PORTS.max) {
    throw new ValidationError(`--port ${port} is in ${EMULATOR_PORTS.min}-${EMULATOR_PORTS.max}, which the adb server probes as emulators; choose another port`);
  }
  const profile = opts.serial ? { ...opts.profile, serial: opts.serial } : opts.profile;
  const ownSandbox = !opts.sandbox;
  const sandbox = opts.sandbox ?? mkdtempSync(join(tmpdir(), `ofa-android-sim-${profile.serial}-`));
  const log = opts.log ?? (() => {});
  const device = new SimDevice(profile, sandbox, opts.browser ?? null, log);
  if (opts.startTempC !== undefined) device.thermal.set(opts.startTempC);
  const sockets = new Set<Socket>();
  const connections = new Set<DeviceConnection>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const conn = new DeviceConnection(socket, device);
    connections.add(conn);
    conn.onClose(() => connections.delete(conn));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ValidationError(`port ${port} on ${host} is already in use`) : error),
    );
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  let stopped = false;
  return {
    host,
    port: actual,
    adbSerial: `${host}:${actual}`,
    serial: profile.serial,
    device,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await opts.browser?.stop().catch(() => {});
      for (const conn of connections) conn.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownSandbox) rmSync(sandbox, { recursive: true, force: true });
    },
  };
}
