/**
 * The adb side of the Android agent: finding or starting the adb server, and bounded wrappers
 * around @devicefarmer/adbkit (whose Bluebird promises have no deadlines of their own).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import * as adbkitModule from '@devicefarmer/adbkit';
import type { Duplex } from 'node:stream';
import type AdbTracker from '@devicefarmer/adbkit/dist/src/adb/tracker';
import { FarmError } from '../../core/errors';
import { abortReason } from '../runtime/abort';

// adbkit is CommonJS: Node's ESM loader puts its exports on `default`, vite's interop names them.
const loaded = adbkitModule as unknown as { Adb?: typeof adbkitModule.Adb; default?: { Adb?: typeof adbkitModule.Adb } };
export const Adb = (loaded.Adb ?? loaded.default?.Adb) as typeof adbkitModule.Adb;
export type AdbClient = ReturnType<typeof Adb.createClient>;
export type AdbDevice = ReturnType<AdbClient['getDevice']>;
export type { AdbTracker };

export const DEFAULT_ADB_PORT = 5037;

export interface AdbServerOptions {
  /** The adb server's port (adb -P); default 5037. */
  port?: number;
  host?: string;
  /** The adb binary; default: `adb` on PATH. */
  bin?: string;
}

/** The adb binary on PATH (or the given path) if it is executable, else null. */
export function findAdb(bin = 'adb'): string | null {
  const candidates = bin.includes('/') ? [bin] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, bin));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  return null;
}

function portOpen(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function runAdb(bin: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new FarmError(`${bin} ${args.join(' ')} failed: ${(stderr || error.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/**
 * An adbkit client for a running adb server, starting the server (`adb -P PORT start-server`) when
 * nothing listens on the port. A missing adb binary is a clear error, not an ENOENT.
 */
export async function connectAdbServer(opts: AdbServerOptions = {}): Promise<{ client: AdbClient; started: boolean; bin: string | null }> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_ADB_PORT;
  const bin = findAdb(opts.bin);
  let started = false;
  if (!(await portOpen(host, port))) {
    if (host !== '127.0.0.1' && host !== 'localhost') throw new FarmError(`no adb server answers at ${host}:${port}`);
    if (!bin) {
      throw new FarmError(
        `adb is not installed (no ${opts.bin ?? 'adb'} on PATH) and no adb server runs on port ${port}: install Android's platform tools (Debian/Ubuntu: apt install adb) or pass --adb PATH`,
      );
    }
    await runAdb(bin, ['-P', String(port), 'start-server']);
    started = true;
    if (!(await portOpen(host, port))) throw new FarmError(`started the adb server (${bin} -P ${port} start-server) but nothing listens on ${host}:${port}`);
  }
  return { client: Adb.createClient({ host, port, bin: bin ?? undefined }), started, bin };
}

/** Races a promise (adbkit's Bluebird included) against a deadline and an AbortSignal. */
export function bounded<T>(work: PromiseLike<T>, what: string, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => finish(() => reject(new FarmError(`${what} did not finish within ${timeoutMs} ms`))), timeoutMs);
    const onAbort = () => finish(() => reject(abortReason(signal!)));
    signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    Promise.resolve(work).then(
      (value) => finish(() => resolve(value)),
      (error) => finish(() => reject(error)),
    );
  });
}

export interface ShellOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Output beyond this is an error (a runaway command). */
  maxBytes?: number;
  /** Called with each chunk of output as it arrives. */
  onData?: (chunk: string) => void;
}

/**
 * Runs a command through adb's v1 shell and collects its output (stdout and stderr merged; v1
 * gives no exit status, so callers append `; echo rc=$?`). The stream is destroyed on timeout or
 * abort, which ends the command's adb stream on the device.
 */
export async function shell(device: AdbDevice, command: string, opts: ShellOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  const stream: Duplex = await bounded(device.shell(command), `adb shell ${command.slice(0, 60)}`, timeoutMs, opts.signal);
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (error: Error) => finish(() => (stream.destroy(), reject(error)));
    const timer = setTimeout(() => fail(new FarmError(`adb shell "${command.slice(0, 60)}" did not finish within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => fail(abortReason(opts.signal!));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return fail(new FarmError(`adb shell "${command.slice(0, 60)}" printed more than ${maxBytes} bytes`));
      chunks.push(chunk);
      opts.onData?.(chunk.toString('utf8'));
    });
    stream.on('error', (error: Error) => fail(error));
    stream.on('end', () => finish(() => resolve(Buffer.concat(chunks).toString('utf8'))));
    stream.on('close', () => finish(() => resolve(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** Single-quotes a word for the device's sh. */
export function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A device service adbkit has no call for (e.g. `reverse:killforward:tcp:P`): host:transport to
 * the serial, then the service; resolves to what the device answered after OKAY.
 */
export function deviceRequest(server: { host?: string; port?: number }, serial: string, service: string, timeoutMs = 10_000): Promise<string> {
  const frame = (text: string) => `${Buffer.byteLength(text).toString(16).padStart(4, '0')}${text}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host ?? '127.0.0.1', port: server.port ?? DEFAULT_ADB_PORT });
    let received = Buffer.alloc(0);
    let stage = 0;
    const timer = setTimeout(() => fail(new FarmError(`adb ${service} timed out`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.on('connect', () => socket.write(frame(`host:transport:${serial}`)));
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (stage === 0 && received.length >= 4) {
        const status = received.subarray(0, 4).toString('ascii');
        if (status !== 'OKAY') return fail(new FarmError(`adb host:transport:${serial}: ${received.subarray(8).toString('utf8') || status}`));
        received = received.subarray(4);
        stage = 1;
        socket.write(frame(service));
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = received.toString('utf8');
      if (stage === 1 && text.startsWith('OKAY')) resolve(text.slice(4));
      else reject(new FarmError(`adb ${service}: ${text.replace(/^FAIL[0-9a-f]{4}/, '') || 'no answer'}`));
    });
  });
}
