/**
 * The on-device side of native mode: files under /data/local/tmp/ofa-farm checked by sha256
 * before and after a push (so the runner binary goes over USB once), and onnxruntime_perf_test
 * runs that can be stopped: the tool runs as `sh -c 'echo pid=$$; exec ...'`, so on abort the
 * agent kills exactly that process on the phone as well as dropping the adb stream.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { FarmError } from '../../core/errors';
import { bounded, quote, shell, type AdbDevice } from './adb';

export const WORK_DIR = '/data/local/tmp/ofa-farm';
export const RUNNER_PATH = `${WORK_DIR}/onnxruntime_perf_test`;
export const MODELS_DIR = `${WORK_DIR}/models`;

/** The sha256 of a file on the device, null when absent; 'unavailable' when the phone has no sha256sum. */
export async function remoteSha256(device: AdbDevice, path: string, signal?: AbortSignal): Promise<string | null | 'unavailable'> {
  const out = await shell(device, `sha256sum ${quote(path)} 2>&1; echo rc=$?`, { timeoutMs: 60_000, signal });
  const hash = /^([0-9a-f]{64})\s/m.exec(out);
  if (hash) return hash[1];
  return /rc=127/.test(out) && /not found/.test(out) ? 'unavailable' : null;
}

interface PushTransfer {
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  cancel(): unknown;
}

export interface PushSource {
  /** A local file path, or a stream factory (each push needs a fresh stream). */
  path?: string;
  stream?: () => Readable;
  bytes: number;
  sha256: string;
}

/**
 * Makes `remote` hold exactly `source` (by sha256) with `mode`; pushes only when it does not.
 * Returns whether a push happened.
 */
export async function ensureRemoteFile(device: AdbDevice, source: PushSource, remote: string, mode: number, signal: AbortSignal): Promise<boolean> {
  const existing = await remoteSha256(device, remote, signal);
  if (existing === source.sha256) {
    await shell(device, `chmod ${mode.toString(8)} ${quote(remote)}`, { timeoutMs: 15_000, signal });
    return false;
  }
  await shell(device, `mkdir -p ${quote(posix.dirname(remote))}`, { timeoutMs: 15_000, signal });
  const timeoutMs = 30_000 + Math.ceil(source.bytes / (1024 * 1024)) * 2_000;
  const transfer = (await bounded(device.push(source.path ?? source.stream!(), remote, mode), `adb push ${remote}`, timeoutMs, signal)) as PushTransfer;
  await bounded(
    new Promise<void>((resolve, reject) => {
      transfer.on('end', () => resolve());
      transfer.on('error', (error: Error) => reject(error));
    }),
    `adb push ${remote}`,
    timeoutMs,
    signal,
  ).catch((error) => {
    transfer.cancel();
    throw error;
  });
  await shell(device, `chmod ${mode.toString(8)} ${quote(remote)}`, { timeoutMs: 15_000, signal });
  const after = await remoteSha256(device, remote, signal);
  if (after !== 'unavailable' && after !== source.sha256) {
    throw new FarmError(`pushed ${remote} but its sha256 on the device is ${after ?? 'missing'}, expected ${source.sha256}`);
  }
  return true;
}

/** Keeps the newest `keep` models in the device's model directory, deleting older ones. */
export async function pruneModels(device: AdbDevice, keepSha: string[], signal: AbortSignal): Promise<void> {
  const out = await shell(device, `ls ${MODELS_DIR} 2>/dev/null`, { timeoutMs: 15_000, signal });
  const stale = out
    .split('\n')
    .map((l) => l.trim())
    .filter((name) => /^[0-9a-f]{64}\.onnx$/.test(name) && !keepSha.includes(name.slice(0, 64)));
  if (stale.length) await shell(device, `rm -f ${stale.map((n) => quote(`${MODELS_DIR}/${n}`)).join(' ')}`, { timeoutMs: 15_000, signal });
}

export interface ToolArgs {
  modelPath: string;
  runs: number;
  threads: number | null;
  verbose: boolean;
  freeDims: Map<string, number>;
  /** taskset mask in hex (toybox takes hex), null = no pinning. */
  cpuMask: string | null;
}

/** The tool's arguments: times mode, generated inputs with a fixed seed, CPU provider. */
export function toolArgv(a: ToolArgs): string[] {
  const argv = ['-m', 'times', '-r', String(a.runs), '-e', 'cpu', '-I', '-S', '1'];
  if (a.threads !== null) argv.push('-x', String(a.threads));
  if (a.freeDims.size) argv.push('-f', [...a.freeDims].map(([k, v]) => `${k}:${v}`).join(' '));
  if (a.verbose) argv.push('-v');
  argv.push(a.modelPath);
  return argv;
}

/** `sh -c 'echo pid=$$; exec [taskset MASK] RUNNER ARGS'; echo rc=$?` */
export function toolCommand(runner: string, a: ToolArgs): string {
  const exec = [...(a.cpuMask ? ['taskset', a.cpuMask] : []), runner, ...toolArgv(a)].map(quote).join(' ');
  return `sh -c ${quote(`echo pid=$$; exec ${exec}`)} 2>&1; echo rc=$?`;
}

/** "4-7" or "0,2,4-5" -> sorted CPU indices; throws on nonsense. */
export function parseCoreList(text: string): number[] {
  const cores = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new Error(`"${text}" is not a CPU list such as 4-7 or 0,2,4-5`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 255) throw new Error(`"${part.trim()}" is not a valid CPU range`);
    for (let c = lo; c <= hi; c++) cores.add(c);
  }
  return [...cores].sort((a, b) => a - b);
}

export function coreMask(cores: number[]): string {
  return cores.reduce((mask, c) => mask | (1n << BigInt(c)), 0n).toString(16);
}

export interface ToolRunOptions {
  signal: AbortSignal;
  timeoutMs: number;
  /** Each complete output line, as it arrives. */
  onLine?: (line: string) => void;
}

/** Runs the tool; resolves to its whole output. On abort, kills the process on the device too. */
export async function runTool(device: AdbDevice, command: string, opts: ToolRunOptions): Promise<string> {
  let pid: number | null = null;
  let partial = '';
  const onData = (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^pid=(\d+)\s*$/.exec(line.trim());
      if (m && pid === null) pid = Number(m[1]);
      else opts.onLine?.(line);
    }
  };
  try {
    const out = await shell(device, command, { timeoutMs: opts.timeoutMs, signal: opts.signal, onData, maxBytes: 64 * 1024 * 1024 });
    return out.replace(/^pid=\d+\s*\n/m, '');
  } catch (error) {
    if (pid !== null) {
      await shell(device, `kill -9 ${pid} 2>/dev/null`, { timeoutMs: 5_000 }).catch(() => {});
    }
    throw error;
  }
}
