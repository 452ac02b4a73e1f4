/**
 * Bounded rejection sampling under a latency budget. The reference redraws `while True` until a
 * subnet fits, which never ends for an infeasible budget (OFA-REFERENCE §11.7). Here: the smallest
 * predicted latency is checked first (InfeasibleError naming it), every redraw loop has a round
 * limit, and a child that still does not fit falls back to a feasible parent.
 */
import { maxConfig, minConfig, type SubnetConfig } from '../../core/config';
import { InfeasibleError } from '../../core/errors';
import type { Rng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import type { SpaceDef } from '../../core/space';
import type { BatchPredictor } from './types';

export interface LatencyExtreme {
  config: SubnetConfig;
  latency: number;
}

export interface LatencyRange {
  min: LatencyExtreme;
  max: LatencyExtreme;
}

/**
 * The smallest and largest predicted latency of a space, over the min and max subnet at every
 * resolution plus `probes` random subnets (a learned twin need not be monotone in size).
 */
export function probeLatencyRange(space: SpaceDef, latency: BatchPredictor, rng: Rng, resolutions: readonly number[] = space.resolutions, probes = 256): LatencyRange {
  const configs = [
    ...resolutions.map((r) => minConfig(space, r)),
    ...resolutions.map((r) => maxConfig(space, r)),
    ...Array.from({ length: probes }, () => sampleConfig(space, rng, { r: resolutions })),
  ];
  const values = latency.predict(configs);
  let lo = 0;
  let hi = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] < values[lo]) lo = i;
    if (values[i] > values[hi]) hi = i;
  }
  return { min: { config: configs[lo], latency: values[lo] }, max: { config: configs[hi], latency: values[hi] } };
}

export function assertFeasible(space: SpaceDef, budget: number, range: LatencyRange, unit = 'ms'): void {
  if (!(budget > 0) || !Number.isFinite(budget)) throw new InfeasibleError(`a latency budget must be a positive number, got ${budget}`);
  if (range.min.latency > budget) {
    throw new InfeasibleError(
      `no subnet of ${space.name} fits a budget of ${budget} ${unit}: the smallest predicted latency is ` +
        `${range.min.latency.toFixed(3)} ${unit} (r=${range.min.config.r}); ask for at least that`,
    );
  }
}

export interface RedrawStats {
  /** Draws rejected for exceeding the budget. */
  rejected: number;
  /** Children that never fitted within the round limit and were replaced by a feasible parent. */
  fallbacks: number;
}

/**
 * Makes `count` feasible children: `make(i)` draws child i (mutation or crossover of its own
 * parents), redrawn up to `maxRounds` times while infeasible, each round predicted as one batch;
 * what still does not fit becomes `fallback(i)`, which must be feasible.
 */
export function feasibleChildren(
  count: number,
  make: (i: number) => SubnetConfig,
  fallback: (i: number) => { config: SubnetConfig; latency: number },
  latency: BatchPredictor,
  budget: number,
  maxRounds: number,
  stats: RedrawStats,
): { configs: SubnetConfig[]; latencies: Float64Array } {
  const configs: SubnetConfig[] = new Array(count);
  const latencies = new Float64Array(count);
  let pending = Array.from({ length: count }, (_, i) => i);
  for (let round = 0; round < maxRounds && pending.length > 0; round++) {
    const drawn = pending.map((i) => make(i));
    const values = latency.predict(drawn);
    const still: number[] = [];
    pending.forEach((i, j) => {
      if (values[j] <= budget) {
        configs[i] = drawn[j];
        latencies[i] = values[j];
      } else {
        still.push(i);
        stats.rejected++;
      }
    });
    pending = still;
  }
  for (const i of pending) {
    const fb = fallback(i);
    configs[i] = fb.config;
    latencies[i] = fb.latency;
    stats.fallbacks++;
  }
  return { configs, latencies };
}

/**
 * The initial population: uniform draws kept when they fit (the reference's init), in bounded
 * rounds; if the budget is so tight that uniform draws rarely fit, the rest are mutations of the
 * feasible ones found, with the smallest subnet as the guaranteed seed.
 */
export function initialPopulation(
  space: SpaceDef,
  size: number,
  latency: BatchPredictor,
  budget: number,
  rng: Rng,
  range: LatencyRange,
  options: { resolutions: readonly number[]; maxRounds: number; mutate: (c: SubnetConfig) => SubnetConfig },
  stats: RedrawStats,
): { configs: SubnetConfig[]; latencies: number[] } {
  const configs: SubnetConfig[] = [];
  const latencies: number[] = [];
  for (let round = 0; round < options.maxRounds && configs.length < size; round++) {
    const need = size - configs.length;
    const drawn = Array.from({ length: Math.min(4 * need, 2000) }, () => sampleConfig(space, rng, { r: options.resolutions }));
    const values = latency.predict(drawn);
    drawn.forEach((config, j) => {
      if (configs.length >= size) return;
      if (values[j] <= budget) {
        configs.push(config);
        latencies.push(values[j]);
      } else stats.rejected++;
    });
  }
  if (configs.length < size) {
    const seeds = configs.length > 0 ? configs.slice() : [range.min.config];
    const seedLatencies = configs.length > 0 ? latencies.slice() : [range.min.latency];
    const missing = size - configs.length;
    const filled = feasibleChildren(
      missing,
      () => options.mutate(seeds[rng.int(seeds.length)]),
      (i) => ({ config: seeds[i % seeds.length], latency: seedLatencies[i % seeds.length] }),
      latency,
      budget,
      options.maxRounds,
      stats,
    );
    configs.push(...filled.configs);
    latencies.push(...filled.latencies);
  }
  return { configs, latencies };
}
