import { describe, expect, it } from 'vitest';
import { subnetCost } from '../../core/cost';
import { ValidationError } from '../../core/errors';
import { createRng } from '../../core/rng';
import { SPACES } from '../../core/space';
import { subnetId } from '../../core/subnet-id';
import { anchorConfig, listConfigs, macsStratified, planConfigs, sampleDistinct, withAnchors } from '../../server/scheduler/sweep-plan';

const w10 = SPACES['ofa-mbv3-w1.0'];
const mini = SPACES['ofa-mbv3-mini'];

describe('sweep planning', () => {
  it('samples distinct subnets, reproducibly from the seed', () => {
    const a = sampleDistinct(w10, 50, createRng(3));
    const b = sampleDistinct(w10, 50, createRng(3));
    expect(a).toEqual(b);
    expect(new Set(a.map((c) => subnetId(w10, c))).size).toBe(50);
    expect(sampleDistinct(w10, 50, createRng(4))).not.toEqual(a);
  });

  it('spreads macs-stratified subnets evenly over the MACs range', () => {
    const count = 20;
    const configs = macsStratified(w10, count, createRng(1));
    expect(new Set(configs.map((c) => subnetId(w10, c))).size).toBe(count);
    const macs = configs.map((c) => subnetCost(w10, c).macs);
    const lo = Math.min(...macs);
    const hi = Math.max(...macs);
    const smallest = subnetCost(w10, { ks: Array(20).fill(3), e: Array(20).fill(3), d: [2, 2, 2, 2, 2], r: 128 }).macs;
    const largest = subnetCost(w10, { ks: Array(20).fill(7), e: Array(20).fill(6), d: [4, 4, 4, 4, 4], r: 224 }).macs;
    // the sweep reaches close to both ends of the space
    expect(lo).toBeLessThan(smallest * 1.3);
    expect(hi).toBeGreaterThan(largest * 0.8);
    // every tenth of the range holds at least one subnet (uniform sampling leaves the tails empty)
    const bins = new Array(10).fill(0);
    for (const m of macs) bins[Math.min(9, Math.floor(((m - lo) / (hi - lo)) * 10))]++;
    expect(bins.every((n) => n >= 1)).toBe(true);
  });

  it('validates list configs and names the bad one', () => {
    const good = { ks: Array(20).fill(3), e: Array(20).fill(4), d: [2, 2, 2, 2, 2], r: 16 };
    expect(listConfigs(mini, [good, { ...good, r: 20 }])).toHaveLength(2);
    expect(() => listConfigs(mini, [good, { ...good, r: 17 }])).toThrow(/config 2: .*r = 17/);
    expect(() => listConfigs(mini, [])).toThrow(ValidationError);
    expect(planConfigs(mini, 'list', { configs: [good, good, good], count: 2, rng: createRng(0) })).toHaveLength(2);
    expect(() => planConfigs(mini, 'random', { rng: createRng(0) })).toThrow(/--count/);
  });

  it('puts the anchor first, after every K subnets and last', () => {
    const configs = sampleDistinct(mini, 5, createRng(0));
    const planned = withAnchors(mini, configs, 2);
    expect(planned.map((p) => (p.anchor ? 'A' : 's')).join('')).toBe('AssAssAsA');
    expect(planned.filter((p) => !p.anchor).map((p) => p.config)).toEqual(configs);
    const anchorIds = new Set(planned.filter((p) => p.anchor).map((p) => subnetId(mini, p.config)));
    expect(anchorIds).toEqual(new Set([subnetId(mini, anchorConfig(mini))]));
    expect(withAnchors(mini, configs, 0).every((p) => !p.anchor)).toBe(true);
    expect(withAnchors(mini, configs, 10).map((p) => (p.anchor ? 'A' : 's')).join('')).toBe('AsssssA');
  });

  it('anchors every space at its middle choices', () => {
    expect(anchorConfig(w10)).toMatchObject({ r: 176, d: [3, 3, 3, 3, 3] });
    expect(new Set(anchorConfig(w10).ks)).toEqual(new Set([5]));
    expect(new Set(anchorConfig(w10).e)).toEqual(new Set([4]));
  });
});
