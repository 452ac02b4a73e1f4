import { describe, expect, it } from 'vitest';
import { minConfig, type SubnetConfig } from '../../../core/config';
import { subnetCost } from '../../../core/cost';
import { InfeasibleError } from '../../../core/errors';
import { createRng } from '../../../core/rng';
import { sampleConfig } from '../../../core/sample';
import { SPACES } from '../../../core/space';
import { evolve } from '../../../server/search/evolve';
import { memoize } from '../../../server/search/memo';
import { macsObjective } from '../../../server/search/objective';
import type { BatchPredictor } from '../../../server/search/types';

const w10 = SPACES['ofa-mbv3-w1.0'];

/** A deterministic analytic "device": 1 ms per 60 MMACs plus 0.1 ms per active block. */
const analyticLatency: BatchPredictor = {
  predict: (configs) => Float64Array.from(configs, (c) => subnetCost(w10, c).macs / 60e6 + 0.1 * c.d.reduce((s, d) => s + d, 0)),
};
/** A toy accuracy: prefers large kernels early and high resolution, not simply MACs. */
const toyAccuracy: BatchPredictor = {
  predict: (configs: readonly SubnetConfig[]) =>
    Float64Array.from(configs, (c) => 0.6 + c.r / 2000 + c.ks.slice(0, 8).reduce((s, k) => s + k, 0) / 400 + c.d.reduce((s, d) => s + d, 0) / 200),
};

describe('evolutionary search', () => {
  it('is deterministic for a seed and keeps every answer within the budget', () => {
    const run = (seed: number) =>
      evolve({ space: w10, latency: analyticLatency, objective: toyAccuracy, budget: 6, rng: createRng(seed), generations: 40 });
    const a = run(11);
    const b = run(11);
    expect(b.best).toEqual(a.best);
    expect(b.history).toEqual(a.history);
    expect(a.best.latency).toBeLessThanOrEqual(6);
    expect(analyticLatency.predict([a.best.config])[0]).toBe(a.best.latency);
    expect(a.scored).toBe(100 + 40 * 100);
    // Elitism: the best never gets worse from one generation to the next.
    for (let g = 1; g < a.history.length; g++) expect(a.history[g]).toBeGreaterThanOrEqual(a.history[g - 1]);
    // Better than the best of 2,000 random feasible subnets.
    const rng = createRng(5);
    const random = Array.from({ length: 2000 }, () => sampleConfig(w10, rng));
    const lat = analyticLatency.predict(random);
    const acc = toyAccuracy.predict(random);
    const bestRandom = Math.max(...Array.from(acc).filter((_, i) => lat[i] <= 6));
    expect(a.best.score).toBeGreaterThan(bestRandom);
  });

  it('runs the reference schedule (100 x 500) and uses the reference hyper-parameters', () => {
    const result = evolve({ space: w10, latency: memoize(w10, analyticLatency), objective: macsObjective(w10), budget: 5, rng: createRng(1) });
    expect(result.hyperParams).toMatchObject({ populationSize: 100, generations: 500, parentRatio: 0.25, mutationRatio: 0.5, archMutateProb: 0.1, resolutionMutateProb: 0.5 });
    expect(result.history).toHaveLength(500);
    expect(result.best.latency).toBeLessThanOrEqual(5);
  });

  it('fails an infeasible budget at once with a clear error instead of looping', () => {
    const smallest = analyticLatency.predict([minConfig(w10, 128)])[0];
    let caught: unknown;
    try {
      evolve({ space: w10, latency: analyticLatency, objective: toyAccuracy, budget: smallest * 0.9, rng: createRng(0) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InfeasibleError);
    expect((caught as Error).message).toMatch(/no subnet of ofa-mbv3-w1.0 fits a budget of .* ms: the smallest predicted latency is .* ms \(r=128\)/);
  });

  it('completes a budget only the smallest subnets meet, in bounded redraws', () => {
    const smallest = analyticLatency.predict([minConfig(w10, 128)])[0];
    const result = evolve({ space: w10, latency: analyticLatency, objective: toyAccuracy, budget: smallest * 1.01, rng: createRng(3), generations: 5 });
    expect(result.best.latency).toBeLessThanOrEqual(smallest * 1.01);
    expect(result.redraws.fallbacks).toBeGreaterThan(0);
  });
});
