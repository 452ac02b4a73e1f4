/**
 * The Android backend (native mode): onnxruntime_perf_test on the phone through adb. prepare
 * checks the job against the model on the host, installs the runner once (by sha256) and pushes
 * the model; measure waits for the phone to be cool, keeps it awake, runs an untimed warm-up
 * pass, then timed passes with per-run times (`-v`), re-measuring while CV > maxCv.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { errorMessage } from '../../core/errors';
import { failedMeasurement, plannedRuns, type Measurement, type Provenance } from '../../core/measurement';
import type { DeviceDescriptionInput } from '../../core/protocol';
import { abortReason, sleep, throwIfAborted } from '../runtime/abort';
import { BackendClosedError, type BackendJob, type DeviceBackend, type ProgressFn } from '../runtime/backend';
import { silentLogger, type Logger } from '../runtime/log';
import { shell, type AdbDevice } from './adb';
import { toDeviceDescription, type DeviceFacts } from './device-info';
import { DEFAULT_THERMAL_POLICY, keepAwake, readCondition, waitUntilCool, type ThermalPolicy } from './hygiene';
import { checkJobInput, readOnnxInputs } from './onnx-inputs';
import { parsePerfTestOutput, perfTestMeasurement, type PerfTestOutput } from './parse';
import { MODELS_DIR, RUNNER_PATH, coreMask, ensureRemoteFile, pruneModels, runTool, toolCommand, type ToolArgs } from './runner';

export const ANDROID_RUNTIME = 'onnxruntime_perf_test';
const CLOCK = 'onnxruntime_perf_test (std::chrono::high_resolution_clock, per-run -v lines)';
const PUSH_CHUNK = 64 * 1024;
/** How long a backend whose phone stopped answering waits for the session to end it (unplug). */
const LOST_PHONE_WAIT_MS = 20_000;

export interface RunnerInfo {
  path: string;
  bytes: number;
  sha256: string;
  /** What the user says the build is (--runner-version); the hash identifies it otherwise. */
  version: string | null;
}

export async function describeRunner(path: string, version: string | null = null): Promise<RunnerInfo> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new Error(`--runner ${path} is not a file`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { path, bytes: info.size, sha256: hash.digest('hex'), version };
}

export interface AndroidBackendOptions {
  device: AdbDevice;
  facts: DeviceFacts;
  /** The runner to install; null = use the one already at RUNNER_PATH on the phone. */
  runner: RunnerInfo | null;
  /** Pin the tool to these CPUs (taskset); null = let the scheduler choose. */
  cores: number[] | null;
  /** Intra-op threads when the job does not say; null = onnxruntime's default. */
  threads: number | null;
  thermal?: ThermalPolicy;
  keepAwake?: boolean;
  log?: Logger;
}

interface Prepared {
  sha256: string;
  remote: string;
  freeDims: Map<string, number>;
}

export function createAndroidBackend(opts: AndroidBackendOptions): DeviceBackend {
  const { device, facts } = opts;
  const log = opts.log ?? silentLogger;
  const policy = opts.thermal ?? DEFAULT_THERMAL_POLICY;
  const runtimeVersion = opts.runner ? (opts.runner.version ?? `sha256:${opts.runner.sha256.slice(0, 16)}`) : 'preinstalled on the device';
  const mask = opts.cores?.length ? coreMask(opts.cores) : null;
  let closed = false;
  let runnerReady = false;
  let prepared: Prepared | null = null;
  const recent: string[] = [];

  const ensureRunner = async (signal: AbortSignal) => {
    if (runnerReady) return;
    if (opts.runner) {
      const pushed = await ensureRemoteFile(device, { path: opts.runner.path, bytes: opts.runner.bytes, sha256: opts.runner.sha256 }, RUNNER_PATH, 0o755, signal);
      log.info('android.runner', { serial: facts.serial, pushed, sha256: opts.runner.sha256.slice(0, 12) });
    } else {
      const out = await shell(device, `ls ${RUNNER_PATH} 2>&1; echo rc=$?`, { timeoutMs: 15_000, signal });
      if (!/rc=0/.test(out)) {
        throw new Error(`no ${RUNNER_PATH} on the phone and no --runner given: pass --runner PATH (an Android ${facts.props['ro.product.cpu.abi'] ?? ''} build of onnxruntime_perf_test)`);
      }
    }
    runnerReady = true;
  };

  const base = (job: BackendJob, threads: number | null, extra: Provenance['extra']): Omit<Provenance, 'warmupRuns' | 'warmupMs'> => ({
    runtime: ANDROID_RUNTIME,
    runtimeVersion,
    executionProvider: 'cpu',
    threads,
    inputShape: job.inputShape,
    clockSource: CLOCK,
    timerResolutionMs: null,
    extra: {
      serial: facts.serial,
      adbSerial: facts.adbSerial,
      runnerSha256: opts.runner?.sha256 ?? null,
      pinnedCores: opts.cores?.join(',') ?? null,
      tasksetMask: mask,
      inputSeed: 1,
      simulated: facts.simulated,
      simSlowdown: facts.props['ro.ofa_farm.sim.slowdown'] ? Number(facts.props['ro.ofa_farm.sim.slowdown']) : null,
      label: job.label || null,
      ...extra,
    },
  });

  /**
   * After an adb error or a cut-off run: is the phone still there? When it is not, wait for the
   * session to abort us (an unplug is seen by adb's tracker within moments), so the job is
   * released instead of stored as failed. Rejects with the abort reason in that case.
   */
  const checkPhone = async (signal: AbortSignal): Promise<void> => {
    const alive = await shell(device, 'echo alive', { timeoutMs: 5_000, signal }).then(
      (out) => out.includes('alive'),
      () => false,
    );
    if (alive || signal.aborted) return throwIfAborted(signal);
    log.warn('android.phone_lost', { serial: facts.serial, waitMs: LOST_PHONE_WAIT_MS });
    await sleep(LOST_PHONE_WAIT_MS, signal);
  };

  const args = (p: Prepared, runs: number, threads: number | null, verbose: boolean): ToolArgs => ({ modelPath: p.remote, runs, threads, verbose, freeDims: p.freeDims, cpuMask: mask });

  return {
    kind: 'android',

    async describe(): Promise<DeviceDescriptionInput> {
      return toDeviceDescription(facts, { runtime: ANDROID_RUNTIME, runtimeVersion, executionProviders: ['cpu'], threads: opts.threads });
    },

    async prepare(job, signal) {
      if (closed) throw new BackendClosedError('android');
      throwIfAborted(signal);
      prepared = null;
      const bytes = await job.model.read();
      const freeDims = checkJobInput(readOnnxInputs(bytes), job.inputName, job.inputShape);
      try {
        await installModel(job, bytes, freeDims, signal);
      } catch (error) {
        if (!signal.aborted && !(error instanceof BackendClosedError)) await checkPhone(signal);
        throw error;
      }
    },

    async measure(job, signal, progress?: ProgressFn): Promise<Measurement> {
      const startedAt = Date.now();
      if (closed) throw new BackendClosedError('android');
      const threads = job.settings.threads ?? opts.threads;
      const p = prepared;
      if (!p || p.sha256 !== job.model.sha256) return failedMeasurement('measure called before a successful prepare', startedAt);
      throwIfAborted(signal);
      try {
        const cool = await waitUntilCool(device, policy, signal, (c) =>
          log.info('android.cooling', { serial: facts.serial, batteryTempC: c.batteryTempC, thermalStatus: c.thermalStatus, waitMaxMs: policy.waitMaxMs }),
        );
        const c = cool.before;
        const extra: Provenance['extra'] = {
          batteryTempC: c.batteryTempC,
          batteryLevel: c.batteryLevel,
          thermalStatus: c.thermalStatus,
          skinTempC: c.skinTempC,
          plugged: c.plugged,
          thermalWaitMs: cool.waitedMs,
          batteryTempAtStartC: cool.condition.batteryTempC,
          thermalStatusAtStart: cool.condition.thermalStatus,
          cooledDown: cool.cool,
        };
        if (!cool.cool) log.warn('android.still_warm', { serial: facts.serial, batteryTempC: cool.condition.batteryTempC, thermalStatus: cool.condition.thermalStatus });
        const restore = opts.keepAwake === false ? async () => {} : await keepAwake(device, signal, (message) => log.warn('android.awake', { serial: facts.serial, message }));
        try {
          return await measureOnDevice(job, p, threads, extra, signal, progress, startedAt);
        } finally {
          await restore();
        }
      } catch (error) {
        if (signal.aborted) throw abortReason(signal);
        if (error instanceof BackendClosedError) throw error;
        await checkPhone(signal);
        return failedMeasurement(`measurement failed: ${errorMessage(error)}`, startedAt, { ...base(job, threads, {}), warmupRuns: 0, warmupMs: 0 });
      }
    },

    async close() {
      closed = true;
      prepared = null;
    },
  };

  async function installModel(job: BackendJob, bytes: Uint8Array, freeDims: Map<string, number>, signal: AbortSignal): Promise<void> {
    await ensureRunner(signal);
    const remote = `${MODELS_DIR}/${job.model.sha256}.onnx`;
    const stream = () =>
      Readable.from(
        (function* () {
          for (let off = 0; off < bytes.byteLength; off += PUSH_CHUNK) yield Buffer.from(bytes.buffer, bytes.byteOffset + off, Math.min(PUSH_CHUNK, bytes.byteLength - off));
        })(),
      );
    await ensureRemoteFile(device, { path: job.model.path ?? undefined, stream, bytes: bytes.byteLength, sha256: job.model.sha256 }, remote, 0o644, signal);
    if (closed) throw new BackendClosedError('android');
    recent.splice(0, recent.length, job.model.sha256, ...recent.filter((sha) => sha !== job.model.sha256).slice(0, 2));
    await pruneModels(device, recent, signal).catch((error) => log.warn('android.prune_failed', { error: errorMessage(error) }));
    prepared = { sha256: job.model.sha256, remote, freeDims };
  }

  async function pass(p: Prepared, runs: number, threads: number | null, verbose: boolean, signal: AbortSignal, timeoutMs: number, onLine?: (line: string) => void): Promise<PerfTestOutput> {
    const out = await runTool(device, toolCommand(RUNNER_PATH, args(p, runs, threads, verbose)), { signal, timeoutMs, onLine });
    if (closed) throw new BackendClosedError('android');
    const parsed = parsePerfTestOutput(out);
    // No `rc=` line: the shell was cut off, which is what an unplugged phone looks like.
    if (parsed.failure && parsed.exitStatus === null) await checkPhone(signal);
    return parsed;
  }

  async function measureOnDevice(job: BackendJob, p: Prepared, threads: number | null, extra: Provenance['extra'], signal: AbortSignal, progress: ProgressFn | undefined, startedAt: number): Promise<Measurement> {
    const s = job.settings;
    const fail = (out: PerfTestOutput, warmupRuns: number, warmupMs: number) =>
      perfTestMeasurement(out, { startedAt, provenance: base(job, threads, extra), warmupRuns, warmupMs, maxCv: s.maxCv });
    // Warm-up: a separate, untimed pass (the tool adds its own one warm-up run to every pass).
    let warmRuns = 0;
    let warmMs = 0;
    let estimateMs = 0;
    for (let passes = 0; passes < 2 && (warmRuns < s.warmupRuns - 1 || warmMs < s.warmupMinMs); passes++) {
      const r = passes === 0 ? Math.max(1, s.warmupRuns - 2) : Math.min(s.maxRuns, Math.max(1, Math.ceil((s.warmupMinMs - warmMs) / Math.max(estimateMs, 0.01))));
      progress?.('warmup', warmRuns, Math.max(s.warmupRuns, warmRuns + r + 1));
      const out = await pass(p, r, threads, false, signal, 600_000);
      if (out.failure) return fail(out, warmRuns, warmMs);
      warmRuns += 1 + (out.requests ?? r);
      warmMs += (out.firstInferenceMs ?? 0) + (out.totalInferenceMs ?? 0);
      estimateMs = out.averageMs ?? (out.totalInferenceMs ?? 0) / Math.max(1, out.requests ?? r);
    }
    progress?.('warmup', warmRuns, warmRuns);
    let best: Measurement | null = null;
    let attempts = 0;
    while (attempts <= s.maxRemeasures) {
      const runs = plannedRuns(s, estimateMs);
      let seen = 0;
      progress?.('measure', 0, runs);
      const timeoutMs = Math.min(86_400_000, 120_000 + runs * Math.max(estimateMs, 1) * 4);
      const out = await pass(p, runs, threads, true, signal, timeoutMs, (line) => {
        if (/^\s*iteration\s*:/.test(line)) progress?.('measure', ++seen, runs);
      });
      attempts++;
      const m = fail(out, warmRuns + 1, warmMs + (out.firstInferenceMs ?? 0));
      if (m.status === 'failed' || !m.stats) return { ...m, attempts };
      if (!best || m.stats.cv < best.stats!.cv) best = m;
      if (best.stats!.cv <= s.maxCv) break;
      estimateMs = m.stats.medianMs;
    }
    const chosen = best as Measurement;
    const after = await readCondition(device, signal).catch(() => null);
    if (after) {
      chosen.provenance!.extra.batteryTempAfterC = after.batteryTempC;
      chosen.provenance!.extra.thermalStatusAfter = after.thermalStatus;
    }
    const unstable = chosen.stats!.cv > s.maxCv;
    return {
      ...chosen,
      status: unstable ? 'unstable' : 'ok',
      error: unstable ? `CV ${chosen.stats!.cv.toFixed(3)} stayed above maxCv ${s.maxCv} after ${attempts} attempts` : null,
      attempts,
      finishedAt: Date.now(),
    };
  }
}
