/**
 * The timing loop every backend uses where it fits (ARCHITECTURE.md, "Measurement"): warm-up
 * (at least warmupRuns and warmupMinMs), timed runs (at least runs and minTimedMs, planned with
 * plannedRuns, capped by maxRuns), summary statistics, and re-measures while CV > maxCv, keeping
 * the most stable attempt. No Node-only APIs: a page can bundle it too.
 */
import { plannedRuns, summarize, type LatencyStats, type Measurement, type MeasurementSettings, type Provenance } from '../../core/measurement';
import { throwIfAborted, yieldToEventLoop } from './abort';
import type { ProgressFn } from './backend';

export interface Clock {
  /** Recorded in provenance as the clock source, e.g. "process.hrtime.bigint". */
  readonly name: string;
  /** Milliseconds from an arbitrary origin, as finely as the clock allows. */
  now(): number;
}

export const performanceClock: Clock = { name: 'performance.now', now: () => performance.now() };

/** Rounds to 1 ns (float noise of clock arithmetic), so a result frame stays small. */
const roundSample = (ms: number) => Math.round(ms * 1e6) / 1e6;

/** The Measurement schema keeps at most this many raw samples. */
export const MAX_STORED_SAMPLES = 100_000;

/**
 * The clock's smallest observable tick: the smallest positive difference between successive
 * readings, over a bounded number of reads. Null when the clock never moved.
 */
export function clockResolutionMs(clock: Clock, ticks = 50, maxReads = 500_000): number | null {
  let best = Infinity;
  let seen = 0;
  let last = clock.now();
  for (let i = 0; i < maxReads && seen < ticks; i++) {
    const t = clock.now();
    if (t > last) {
      best = Math.min(best, t - last);
      seen++;
      last = t;
    }
  }
  return Number.isFinite(best) ? roundSample(best) : null;
}

export interface TimingOptions {
  settings: MeasurementSettings;
  clock: Clock;
  signal: AbortSignal;
  progress?: ProgressFn;
  /** How often (clock ms) to let timers run between runs, outside the timed region. */
  yieldIntervalMs?: number;
  yieldFn?: () => Promise<void>;
}

export interface TimingResult {
  status: 'ok' | 'unstable';
  /** Why the result is unstable. */
  error: string | null;
  stats: LatencyStats;
  samplesMs: number[];
  /** 1 + the re-measures done. */
  attempts: number;
  warmupRuns: number;
  warmupMs: number;
  clockSource: string;
  timerResolutionMs: number | null;
}

type Run = () => Promise<unknown>;

class Loop {
  private lastYield: number;
  constructor(
    private readonly run: Run,
    private readonly opts: TimingOptions,
  ) {
    this.lastYield = opts.clock.now();
  }

  /** One run, timed; aborts between runs, lets timers run now and then. */
  async timedRun(): Promise<number> {
    const { clock, signal } = this.opts;
    throwIfAborted(signal);
    const start = clock.now();
    await this.run();
    const end = clock.now();
    if (end - this.lastYield >= (this.opts.yieldIntervalMs ?? 50)) {
      await (this.opts.yieldFn ?? yieldToEventLoop)();
      this.lastYield = this.opts.clock.now();
    }
    return end - start;
  }

  async warmup(): Promise<{ runs: number; ms: number; estimateMs: number }> {
    const { settings, clock, progress } = this.opts;
    const cap = Math.max(settings.warmupRuns, settings.maxRuns);
    const started = clock.now();
    const recent: number[] = [];
    let runs = 0;
    while (runs < cap && (runs < settings.warmupRuns || clock.now() - started < settings.warmupMinMs)) {
      recent.push(await this.timedRun());
      if (recent.length > 5) recent.shift();
      runs++;
      progress?.('warmup', runs, Math.max(settings.warmupRuns, runs));
    }
    const sorted = recent.slice().sort((a, b) => a - b);
    return { runs, ms: clock.now() - started, estimateMs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0 };
  }

  async timed(estimateMs: number): Promise<number[]> {
    const { settings, progress } = this.opts;
    const planned = plannedRuns(settings, estimateMs);
    const samples: number[] = [];
    let total = 0;
    // The estimate may be off: keep going until both rules hold, never past maxRuns.
    while (samples.length < settings.maxRuns && (samples.length < planned || total < settings.minTimedMs || samples.length < settings.runs)) {
      const ms = await this.timedRun();
      samples.push(ms);
      total += ms;
      progress?.('measure', samples.length, Math.max(planned, samples.length));
    }
    return samples;
  }
}

/** Warm-up, timed runs and re-measures of `run`, as the settings say. Rejects when `signal` aborts. */
export async function timeRuns(run: Run, opts: TimingOptions): Promise<TimingResult> {
  const { settings, clock } = opts;
  const timerResolutionMs = clockResolutionMs(clock);
  const loop = new Loop(run, opts);
  const warm = await loop.warmup();
  let estimate = warm.estimateMs;
  let best: { stats: LatencyStats; samples: number[] } | null = null;
  let attempts = 0;
  while (attempts <= settings.maxRemeasures) {
    const samples = await loop.timed(estimate);
    attempts++;
    const stats = summarize(samples);
    if (!best || stats.cv < best.stats.cv) best = { stats, samples };
    if (best.stats.cv <= settings.maxCv) break;
    estimate = stats.medianMs;
  }
  const chosen = best as { stats: LatencyStats; samples: number[] };
  const stable = chosen.stats.cv <= settings.maxCv;
  return {
    status: stable ? 'ok' : 'unstable',
    error: stable ? null : `CV ${chosen.stats.cv.toFixed(3)} stayed above maxCv ${settings.maxCv} after ${attempts} attempts`,
    stats: chosen.stats,
    samplesMs: chosen.samples.slice(0, MAX_STORED_SAMPLES).map(roundSample),
    attempts,
    warmupRuns: warm.runs,
    warmupMs: warm.ms,
    clockSource: clock.name,
    timerResolutionMs,
  };
}

/** The provenance fields a backend knows itself; the loop adds clock and warm-up facts. */
export type ProvenanceBase = Omit<Provenance, 'clockSource' | 'timerResolutionMs' | 'warmupRuns' | 'warmupMs'>;

export function timingMeasurement(result: TimingResult, base: ProvenanceBase, startedAt: number, finishedAt = Date.now()): Measurement {
  return {
    status: result.status,
    error: result.error,
    stats: result.stats,
    samplesMs: result.samplesMs,
    attempts: result.attempts,
    provenance: {
      ...base,
      clockSource: result.clockSource,
      timerResolutionMs: result.timerResolutionMs,
      warmupRuns: result.warmupRuns,
      warmupMs: result.warmupMs,
    },
    startedAt,
    finishedAt,
  };
}
