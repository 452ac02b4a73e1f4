/**
 * onnxruntime_perf_test output -> measurement (nn-Meter habit: a device backend is a profiler
 * plus a parser). Every layout the tool has printed is accepted (ADB-AND-PERFTEST.md §5):
 * `cost: x` and `cost:x`, `Average inference time cost total:`, the oldest `Total time cost:`
 * and `Min Latency is x sec`, scientific notation, per-run `iteration:N,time_cost:S` lines of
 * `-v`, ORT log lines in between. A missing line is absent, never 0. Parsing never throws:
 * output without a summary becomes a failed measurement naming what the tool said.
 */
import { failedMeasurement, summarize, type LatencyStats, type Measurement, type Provenance } from '../../core/measurement';

const NUM = '([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)';
const re = (source: string) => new RegExp(`^${source}`);

export interface PerfTestOutput {
  sessionCreationMs: number | null;
  /** The tool's single warm-up run (whole ms; absent before 2023 builds). */
  firstInferenceMs: number | null;
  /** Sum of the timed runs' latencies. */
  totalInferenceMs: number | null;
  requests: number | null;
  averageMs: number | null;
  /** Wall time of the timed phase. */
  runTimeMs: number | null;
  inferencesPerSecond: number | null;
  cpuUsagePercent: number | null;
  peakWorkingSetBytes: number | null;
  /** The tool's own percentiles (sorted[floor(N*q)]), in ms. */
  latency: { minMs: number | null; maxMs: number | null; p50Ms: number | null; p90Ms: number | null; p95Ms: number | null; p99Ms: number | null; p999Ms: number | null };
  /** Per-run latencies from `-v` lines, in run order (ms). */
  samplesMs: number[];
  intraOpThreads: number | null;
  /** From the `rc=N` line the agent appends (adb's v1 shell drops the exit status). */
  exitStatus: number | null;
  /** Why the run failed, when it did. */
  failure: string | null;
  /** Lines that matched nothing (ORT logs, EP banners). */
  otherLines: string[];
}

const LATENCY_KEYS = { Min: 'minMs', Max: 'maxMs', P50: 'p50Ms', P90: 'p90Ms', P95: 'p95Ms', P99: 'p99Ms', P999: 'p999Ms' } as const;

type Scalar = Exclude<keyof PerfTestOutput, 'latency' | 'samplesMs' | 'failure' | 'otherLines'>;

const SCALARS: Array<{ pattern: RegExp; key: Scalar; scale: number; integer?: boolean }> = [
  { pattern: re(`Session creation time cost\\s*:\\s*${NUM}\\s*s\\b`), key: 'sessionCreationMs', scale: 1000 },
  { pattern: re(`First inference time cost\\s*:\\s*${NUM}\\s*ms\\b`), key: 'firstInferenceMs', scale: 1 },
  { pattern: re(`Total inference time cost\\s*:\\s*${NUM}`), key: 'totalInferenceMs', scale: 1000 },
  { pattern: re(`Total time cost\\s*:\\s*${NUM}`), key: 'totalInferenceMs', scale: 1000 },
  { pattern: re(`Total inference requests\\s*:\\s*(\\d+)\\s*$`), key: 'requests', scale: 1, integer: true },
  { pattern: re(`Total iterations\\s*:\\s*(\\d+)\\s*$`), key: 'requests', scale: 1, integer: true },
  { pattern: re(`Average inference time cost(?: total)?\\s*:\\s*${NUM}\\s*ms\\b`), key: 'averageMs', scale: 1 },
  { pattern: re(`Average time cost\\s*:\\s*${NUM}\\s*ms\\b`), key: 'averageMs', scale: 1 },
  { pattern: re(`Total inference run time\\s*:\\s*${NUM}\\s*s\\b`), key: 'runTimeMs', scale: 1000 },
  { pattern: re(`Total run time\\s*:\\s*${NUM}\\s*s\\b`), key: 'runTimeMs', scale: 1000 },
  { pattern: re(`Number of inferences per second\\s*:\\s*${NUM}`), key: 'inferencesPerSecond', scale: 1 },
  { pattern: re(`Avg CPU usage\\s*:\\s*(-?\\d+)`), key: 'cpuUsagePercent', scale: 1, integer: true },
  { pattern: re(`Peak working set size\\s*:\\s*(\\d+)`), key: 'peakWorkingSetBytes', scale: 1, integer: true },
  { pattern: re(`Setting intra_op_num_threads to (\\d+)`), key: 'intraOpThreads', scale: 1, integer: true },
  { pattern: re(`rc=(\\d+)\\s*$`), key: 'exitStatus', scale: 1, integer: true },
];
const LATENCY = re(`(Min|Max|P50|P90|P95|P99|P999) Latency(?:\\s*:\\s*|\\s+is\\s+)${NUM}\\s*(?:s|sec)\\b`);
const ITERATION = re(`iteration\\s*:\\s*(\\d+)\\s*,\\s*time_cost\\s*:\\s*(\\S+)`);
const RUN_FAILED = /^Run failed\s*:\s*(.*)$/;
const IGNORED = [re('Runs\\s*:\\s*\\d+'), re('Average inference time cost submission'), /^$/];

function finiteNonNegative(text: string): number | null {
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** Reads the tool's stdout+stderr (as `adb shell` merges them). Never throws. */
export function parsePerfTestOutput(text: string): PerfTestOutput {
  const out: PerfTestOutput = {
    sessionCreationMs: null,
    firstInferenceMs: null,
    totalInferenceMs: null,
    requests: null,
    averageMs: null,
    runTimeMs: null,
    inferencesPerSecond: null,
    cpuUsagePercent: null,
    peakWorkingSetBytes: null,
    latency: { minMs: null, maxMs: null, p50Ms: null, p90Ms: null, p95Ms: null, p99Ms: null, p999Ms: null },
    samplesMs: [],
    intraOpThreads: null,
    exitStatus: null,
    failure: null,
    otherLines: [],
  };
  const iterations: Array<[number, number]> = [];
  let badIteration = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    const failed = RUN_FAILED.exec(line);
    if (failed) {
      out.failure = failed[1].trim() || 'Run failed (no message)';
      continue;
    }
    const it = ITERATION.exec(line);
    if (it) {
      const s = finiteNonNegative(it[2]);
      if (s === null) badIteration = true;
      else iterations.push([Number(it[1]), s * 1000]);
      continue;
    }
    const lat = LATENCY.exec(line);
    if (lat) {
      const v = finiteNonNegative(lat[2]);
      if (v !== null) out.latency[LATENCY_KEYS[lat[1] as keyof typeof LATENCY_KEYS]] = v * 1000;
      continue;
    }
    const scalar = SCALARS.find((s) => s.pattern.test(line));
    if (scalar) {
      const m = scalar.pattern.exec(line)!;
      const v = scalar.key === 'cpuUsagePercent' ? Number(m[1]) : finiteNonNegative(m[1]);
      if (v !== null && Number.isFinite(v) && (!scalar.integer || Number.isInteger(v))) out[scalar.key] = v * scalar.scale;
      continue;
    }
    if (!IGNORED.some((p) => p.test(line))) out.otherLines.push(line);
  }
  iterations.sort((a, b) => a[0] - b[0]);
  out.samplesMs = iterations.map(([, ms]) => ms);
  if (!out.failure) out.failure = findFailure(out, iterations, badIteration);
  return out;
}

function findFailure(out: PerfTestOutput, iterations: Array<[number, number]>, badIteration: boolean): string | null {
  const said = out.otherLines.filter((l) => !/^\d{4}-\d\d-\d\d .*\[[VIW]:onnxruntime/.test(l)).slice(-3).join(' | ');
  if (out.requests === null) {
    return `onnxruntime_perf_test printed no summary${out.exitStatus ? ` and exited with status ${out.exitStatus}` : ''}${said ? `: ${said}` : ' (no output)'}`;
  }
  if (out.exitStatus !== null && out.exitStatus !== 0) return `onnxruntime_perf_test exited with status ${out.exitStatus}${said ? `: ${said}` : ''}`;
  if (out.requests === 0) return 'onnxruntime_perf_test made no timed runs (0 requests)';
  if (badIteration) return 'an iteration line had a latency that is not a finite number';
  if (iterations.length > 0) {
    if (iterations.length !== out.requests) return `output truncated: ${iterations.length} iteration lines for ${out.requests} requests`;
    if (iterations.some(([index], i) => index !== i + 1)) return 'iteration lines are not numbered 1..N';
  }
  if (iterations.length === 0 && out.averageMs === null && out.latency.p50Ms === null) return 'onnxruntime_perf_test printed neither per-run times, an average nor percentiles';
  return null;
}

export interface PerfTestContext {
  startedAt: number;
  finishedAt?: number;
  provenance: Omit<Provenance, 'warmupRuns' | 'warmupMs'>;
  /** Untimed runs before the timed ones: separate warm-up passes plus the tool's own one. */
  warmupRuns: number;
  warmupMs: number;
  maxCv: number;
}

/**
 * Statistics when the tool printed no per-run times: the tool's P50/P90/min/max and average,
 * std estimated from the P50-P90 spread as for a normal distribution, or 0 when only the
 * average exists. `derived` lists which fields did not come from samples.
 */
export function derivedStats(out: PerfTestOutput): { stats: LatencyStats; derived: string } | null {
  const n = out.requests ?? 0;
  const mean = out.averageMs ?? (out.totalInferenceMs !== null && n > 0 ? out.totalInferenceMs / n : null);
  if (mean === null || n === 0) return null;
  const { minMs, maxMs, p50Ms, p90Ms } = out.latency;
  const median = p50Ms ?? mean;
  const p90 = p90Ms ?? Math.max(median, mean);
  const std = p50Ms !== null && p90Ms !== null ? Math.max(0, (p90Ms - p50Ms) / 1.2816) : 0;
  const stats: LatencyStats = {
    runs: n,
    minMs: Math.min(minMs ?? median, median, mean),
    medianMs: median,
    meanMs: mean,
    p90Ms: p90,
    maxMs: Math.max(maxMs ?? p90, p90, mean),
    stdMs: std,
    cv: mean > 0 ? std / mean : 0,
  };
  const derived = [
    minMs === null ? 'minMs' : null,
    p50Ms === null ? 'medianMs' : null,
    p90Ms === null ? 'p90Ms' : null,
    maxMs === null ? 'maxMs' : null,
    out.averageMs === null ? 'meanMs(total/requests)' : null,
    p50Ms !== null && p90Ms !== null ? 'stdMs,cv from (P90-P50)/1.2816 (normal assumption)' : 'stdMs,cv unknown (set to 0)',
  ].filter(Boolean);
  return { stats, derived: derived.join('; ') };
}

/** One tool run as a measurement: samples when `-v` gave them, derived statistics otherwise. */
export function perfTestMeasurement(out: PerfTestOutput, ctx: PerfTestContext): Measurement {
  const extra: Provenance['extra'] = { ...ctx.provenance.extra };
  const put = (key: string, v: number | null) => {
    if (v !== null) extra[key] = Number(v.toFixed(6));
  };
  put('sessionCreationMs', out.sessionCreationMs);
  put('toolFirstInferenceMs', out.firstInferenceMs);
  put('toolAverageMs', out.averageMs);
  put('toolP50Ms', out.latency.p50Ms);
  put('toolP90Ms', out.latency.p90Ms);
  put('toolCpuUsagePercent', out.cpuUsagePercent);
  put('peakWorkingSetBytes', out.peakWorkingSetBytes);
  put('toolIntraOpThreads', out.intraOpThreads);
  const provenance: Provenance = { ...ctx.provenance, extra, warmupRuns: ctx.warmupRuns, warmupMs: ctx.warmupMs };
  const finishedAt = ctx.finishedAt ?? Date.now();
  if (out.failure) return { ...failedMeasurement(out.failure, ctx.startedAt, provenance), finishedAt };
  let stats: LatencyStats;
  let samplesMs: number[] = [];
  if (out.samplesMs.length > 0) {
    samplesMs = out.samplesMs.map((ms) => Math.round(ms * 1e6) / 1e6);
    stats = summarize(samplesMs);
    extra.statsFrom = 'per-run iteration lines (-v)';
  } else {
    const derived = derivedStats(out);
    if (!derived) return { ...failedMeasurement('the tool printed no latency this parser could use', ctx.startedAt, provenance), finishedAt };
    stats = derived.stats;
    extra.statsFrom = 'tool summary lines';
    extra.derivedStats = derived.derived;
  }
  const unstable = stats.cv > ctx.maxCv;
  return {
    status: unstable ? 'unstable' : 'ok',
    error: unstable ? `CV ${stats.cv.toFixed(3)} is above maxCv ${ctx.maxCv}` : null,
    stats,
    samplesMs,
    attempts: 1,
    provenance,
    startedAt: ctx.startedAt,
    finishedAt,
  };
}
