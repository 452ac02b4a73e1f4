/**
 * JIT settle detection: WASM tiers up and WebGPU compiles pipelines over the first runs, so a
 * model's first timings can be far off the steady state (a first WebGPU run can take seconds).
 * Before the regular warm-up, runs go on in windows until the medians of two consecutive
 * windows agree within a tolerance, bounded by runs and time. Web APIs only.
 */
import type { MeasurementSettings } from '../../../core/measurement';
import { throwIfAborted, yieldToEventLoop } from '../../runtime/abort';
import type { ProgressFn } from '../../runtime/backend';
import type { Clock } from '../../runtime/timing';

export interface SettleOptions {
  /** Runs per window. */
  window: number;
  /** Largest relative difference of two consecutive window medians that counts as settled. */
  tolerance: number;
  maxRuns: number;
  maxMs: number;
}

export interface SettleResult {
  runs: number;
  ms: number;
  settled: boolean;
  /** Median of the last window (ms); null when nothing ran. */
  lastMedianMs: number | null;
}

/** Bounds that follow the job's warm-up settings: none when the job asks for no warm-up. */
export function settleOptionsFor(settings: MeasurementSettings): SettleOptions | null {
  if (settings.warmupRuns === 0 && settings.warmupMinMs === 0) return null;
  return { window: 5, tolerance: 0.1, maxRuns: Math.min(200, settings.maxRuns), maxMs: Math.min(10_000, Math.max(250, 4 * settings.warmupMinMs)) };
}

function median(values: readonly number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** True when the last two windows of `samples` have medians within `tolerance` of each other. */
export function windowsAgree(samples: readonly number[], window: number, tolerance: number): boolean {
  if (window < 1 || samples.length < 2 * window) return false;
  const newer = median(samples.slice(-window));
  const older = median(samples.slice(-2 * window, -window));
  const scale = Math.max(newer, older);
  return scale === 0 || Math.abs(newer - older) / scale <= tolerance;
}

export interface SettleContext {
  clock: Clock;
  signal: AbortSignal;
  progress?: ProgressFn;
  /** Timers get a turn this often (clock ms), outside the timed region. */
  yieldIntervalMs?: number;
}

/** Runs `run` until its timings settle (or the bounds are reached); rejects when the signal aborts. */
export async function settle(run: () => Promise<unknown>, options: SettleOptions, ctx: SettleContext): Promise<SettleResult> {
  const { clock, signal } = ctx;
  const started = clock.now();
  let lastYield = started;
  const samples: number[] = [];
  let settled = false;
  while (samples.length < options.maxRuns && clock.now() - started < options.maxMs) {
    throwIfAborted(signal);
    const t0 = clock.now();
    await run();
    const t1 = clock.now();
    samples.push(t1 - t0);
    ctx.progress?.('warmup', samples.length, Math.max(samples.length, 2 * options.window));
    if (t1 - lastYield >= (ctx.yieldIntervalMs ?? 50)) {
      await yieldToEventLoop();
      lastYield = clock.now();
    }
    if (windowsAgree(samples, options.window, options.tolerance)) {
      settled = true;
      break;
    }
  }
  throwIfAborted(signal);
  return {
    runs: samples.length,
    ms: clock.now() - started,
    settled,
    lastMedianMs: samples.length ? median(samples.slice(-options.window)) : null,
  };
}
