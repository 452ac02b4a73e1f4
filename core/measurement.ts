/**
 * A measurement is a distribution with provenance, never one number (ARCHITECTURE.md,
 * "Measurement"). Failures are measurements too: a row with a status and the reason.
 */
import { z } from 'zod';

export const MeasurementSettings = z.object({
  /** Untimed runs before timing: at least this many ... */
  warmupRuns: z.number().int().min(0).max(100_000).default(5),
  /** ... and at least this long (JIT, caches, clocks settle). */
  warmupMinMs: z.number().min(0).max(600_000).default(500),
  /** Timed runs: at least this many ... */
  runs: z.number().int().min(1).max(100_000).default(30),
  /** ... and at least this long. */
  minTimedMs: z.number().min(0).max(600_000).default(1000),
  /** Re-measure when the coefficient of variation is above this. */
  maxCv: z.number().positive().max(10).default(0.1),
  /** How many times to re-measure an unstable run before storing it as unstable. */
  maxRemeasures: z.number().int().min(0).max(10).default(2),
  /** Hard cap on one job's timed runs, whatever the time rules ask. */
  maxRuns: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Intra-op threads; absent = the agent's own setting. */
  threads: z.number().int().min(1).max(1024).optional(),
});
export type MeasurementSettings = z.infer<typeof MeasurementSettings>;
export type MeasurementSettingsInput = z.input<typeof MeasurementSettings>;

export const LatencyStats = z.object({
  runs: z.number().int().nonnegative(),
  minMs: z.number().nonnegative(),
  medianMs: z.number().nonnegative(),
  meanMs: z.number().nonnegative(),
  p90Ms: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
  stdMs: z.number().nonnegative(),
  cv: z.number().nonnegative(),
});
export type LatencyStats = z.infer<typeof LatencyStats>;

const ExtraValue = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);

export const Provenance = z.object({
  runtime: z.string().max(200),
  runtimeVersion: z.string().max(200),
  executionProvider: z.string().max(200),
  threads: z.number().int().nonnegative().nullable(),
  inputShape: z.array(z.number().int().positive()).max(8),
  /** e.g. "process.hrtime.bigint", "performance.now", "onnxruntime_perf_test". */
  clockSource: z.string().max(200),
  /** Smallest observable tick of that clock, when known. */
  timerResolutionMs: z.number().nonnegative().nullable().default(null),
  warmupRuns: z.number().int().nonnegative(),
  warmupMs: z.number().nonnegative(),
  /** Agent-kind specifics: crossOriginIsolated, temperatureC, batteryLevel, pinnedCores... */
  extra: z.record(z.string().max(100), ExtraValue).default({}),
});
export type Provenance = z.infer<typeof Provenance>;

export const MeasurementStatus = z.enum(['ok', 'unstable', 'failed']);
export type MeasurementStatus = z.infer<typeof MeasurementStatus>;

export const Measurement = z.object({
  status: MeasurementStatus,
  /** Why a measurement failed or is unstable. */
  error: z.string().max(4000).nullable().default(null),
  stats: LatencyStats.nullable(),
  /** Raw timed samples (ms), capped. */
  samplesMs: z.array(z.number().nonnegative()).max(100_000).default([]),
  /** How many times the run was measured (1 + re-measures). */
  attempts: z.number().int().min(1).max(100).default(1),
  provenance: Provenance.nullable(),
  startedAt: z.number().nonnegative(),
  finishedAt: z.number().nonnegative(),
});
export type Measurement = z.infer<typeof Measurement>;
export type MeasurementInput = z.input<typeof Measurement>;

function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 1) return sorted[0];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Summary statistics of timed samples (ms): min, median, mean, p90 (linear interpolation),
 * max, sample standard deviation and CV = std / mean.
 */
export function summarize(samplesMs: readonly number[]): LatencyStats {
  if (samplesMs.length === 0) throw new RangeError('summarize needs at least one sample');
  const sorted = samplesMs.slice().sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  const std = Math.sqrt(variance);
  return {
    runs: n,
    minMs: sorted[0],
    medianMs: quantileSorted(sorted, 0.5),
    meanMs: mean,
    p90Ms: quantileSorted(sorted, 0.9),
    maxMs: sorted[n - 1],
    stdMs: std,
    cv: mean > 0 ? std / mean : 0,
  };
}

/**
 * How many timed runs the settings ask for, given one run's duration estimate: at least `runs`
 * and at least `minTimedMs` worth, never more than `maxRuns`.
 */
export function plannedRuns(settings: MeasurementSettings, estimateMs: number): number {
  const byTime = estimateMs > 0 ? Math.ceil(settings.minTimedMs / estimateMs) : settings.runs;
  return Math.min(settings.maxRuns, Math.max(settings.runs, byTime));
}

export function failedMeasurement(error: string, startedAt: number, provenance: Provenance | null = null): Measurement {
  return { status: 'failed', error, stats: null, samplesMs: [], attempts: 1, provenance, startedAt, finishedAt: Date.now() };
}
