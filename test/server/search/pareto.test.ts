import { describe, expect, it } from 'vitest';
import { subnetCost } from '../../../core/cost';
import { InfeasibleError, ValidationError } from '../../../core/errors';
import { createRng } from '../../../core/rng';
import { sampleConfig } from '../../../core/sample';
import { SPACES } from '../../../core/space';
import { ParetoArchive } from '../../../server/search/archive';
import { calibrationOf } from '../../../server/search/calibration';
import { probeLatencyRange } from '../../../server/search/feasible';
import { macsObjective } from '../../../server/search/objective';
import { autoBudgets, computeFront } from '../../../server/search/pareto';
import type { LatencyModel, Objective } from '../../../server/search/types';

const w10 = SPACES['ofa-mbv3-w1.0'];
const latency: LatencyModel = {
  label: 'analytic test device',
  version: null,
  predict: (configs) => Float64Array.from(configs, (c) => subnetCost(w10, c).macs / 60e6 + 0.1 * c.d.reduce((s, d) => s + d, 0) + (c.r % 8 === 0 ? 0 : 0.3)),
};
const accuracy: Objective = {
  name: 'accuracy',
  proxy: false,
  label: 'toy accuracy',
  version: 'toy-1',
  format: (s) => `${(100 * s).toFixed(2)}%`,
  predict: (configs) => Float64Array.from(configs, (c) => 0.5 + Math.log(subnetCost(w10, c).macs) / 100 + c.ks.slice(0, 4).reduce((s, k) => s + k, 0) / 1000),
};

describe('Pareto fronts', () => {
  it('gives a monotone front, each subnet within its budget, and a truly non-dominated set', () => {
    const front = computeFront({ space: w10, latency, objective: accuracy, budgets: [8, 4, 6, 5], seed: 2, hyperParams: { generations: 30 } });
    expect(front.points.map((p) => p.budget)).toEqual([4, 5, 6, 8]);
    for (const [i, p] of front.points.entries()) {
      expect(p.latency).toBeLessThanOrEqual(p.budget);
      if (i > 0) expect(p.score).toBeGreaterThanOrEqual(front.points[i - 1].score);
      expect(front.nonDominated.some((q) => q.id === p.id)).toBe(true);
    }
    const nd = front.nonDominated;
    for (const a of nd) {
      for (const b of nd) {
        if (a === b) continue;
        expect(b.latency <= a.latency && b.score >= a.score).toBe(false);
      }
    }
    expect(front.objective).toEqual({ name: 'accuracy', proxy: false, label: 'toy accuracy', version: 'toy-1' });
    expect(front.stats.objectivePredictions.hits).toBeGreaterThan(0);
  });

  it('is reproducible with a seed and labels the MACs objective as a proxy', () => {
    const run = () => computeFront({ space: w10, latency, objective: macsObjective(w10), budgets: [5, 7], seed: 9, hyperParams: { generations: 10 } });
    const a = run();
    expect(run().points).toEqual(a.points);
    expect(a.objective.proxy).toBe(true);
    expect(a.objective.label).toMatch(/proxy/);
    expect(a.points[1].score).toBe(subnetCost(w10, a.points[1].config).macs);
  });

  it('spreads --auto budgets between the smallest and largest predicted latency', () => {
    const range = probeLatencyRange(w10, latency, createRng(0));
    const budgets = autoBudgets(range, 10);
    expect(budgets).toHaveLength(10);
    expect(budgets[0]).toBeGreaterThan(range.min.latency);
    expect(budgets[9]).toBeCloseTo(range.max.latency, 1);
    for (let i = 1; i < 10; i++) expect(budgets[i]).toBeGreaterThan(budgets[i - 1]);
  });

  it('keeps --auto budgets feasible and distinct on a device measured in microseconds', () => {
    const at = (ms: number) => ({ config: sampleConfig(w10, createRng(1)), latency: ms });
    const budgets = autoBudgets({ min: at(0.004), max: at(0.0113) }, 5);
    expect(budgets).toHaveLength(5);
    expect(budgets[0]).toBeGreaterThanOrEqual(0.0042);
    expect(budgets[0]).toBeLessThan(0.0043);
    expect(budgets[4]).toBeCloseTo(0.0113, 6);
    for (const b of budgets) expect(String(b).replace(/^0\.0*/, '').length).toBeLessThanOrEqual(3);
    for (let i = 1; i < 5; i++) expect(budgets[i]).toBeGreaterThan(budgets[i - 1]);
  });

  it('names infeasible and malformed budgets', () => {
    expect(() => computeFront({ space: w10, latency, objective: accuracy, budgets: [0.5, 6], seed: 0 })).toThrow(InfeasibleError);
    expect(() => computeFront({ space: w10, latency, objective: accuracy, budgets: [0.5, 6], seed: 0 })).toThrow(/fits 0.5 ms on analytic test device/);
    expect(() => computeFront({ space: w10, latency, objective: accuracy, budgets: [-1], seed: 0 })).toThrow(ValidationError);
  });
});

describe('Pareto archive', () => {
  it('keeps exactly the non-dominated points of a stream', () => {
    const rng = createRng(4);
    const archive = new ParetoArchive();
    const all = Array.from({ length: 400 }, () => ({ config: sampleConfig(w10, rng), latency: Math.round(rng.next() * 50), score: Math.round(rng.next() * 50) }));
    for (const c of all) archive.add(c);
    const expected = all.filter((a) => !all.some((b) => b !== a && b.latency <= a.latency && b.score >= a.score && (b.latency < a.latency || b.score > a.score)));
    const key = (c: { latency: number; score: number }) => `${c.latency}/${c.score}`;
    expect(new Set(archive.list().map(key))).toEqual(new Set(expected.map(key)));
    expect(archive.bestWithin(-1)).toBeNull();
    const within = archive.bestWithin(20)!;
    expect(within.score).toBe(Math.max(...all.filter((c) => c.latency <= 20).map((c) => c.score)));
  });
});

describe('calibrated budgets', () => {
  it('searches at a margin from the 95th percentile of held-out measured / predicted', () => {
    const points = Array.from({ length: 21 }, (_, i) => ({ measured: 1 + i / 100, predicted: 1 }));
    const c = calibrationOf(points)!;
    expect(c.ratioQ95).toBeCloseTo(1.19, 10);
    expect(c.factor).toBeCloseTo(1.05 / 1.19, 10);
    expect(calibrationOf(points.map((p) => ({ ...p, measured: 0.9 })))!.factor).toBe(1);
    expect(calibrationOf(points.slice(0, 4))).toBeNull();
  });
});
