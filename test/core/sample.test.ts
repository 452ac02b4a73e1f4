import { describe, expect, it } from 'vitest';
import { checkSubnetConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { crossoverConfigs, mutateConfig, sampleConfig } from '../../core/sample';
import { SPACES, SPACE_NAMES } from '../../core/space';

describe('sampling', () => {
  it('is reproducible for a seed and always valid', () => {
    for (const name of SPACE_NAMES) {
      const space = SPACES[name];
      const a = Array.from({ length: 20 }, (_, i) => sampleConfig(space, createRng(`s${i}`)));
      const b = Array.from({ length: 20 }, (_, i) => sampleConfig(space, createRng(`s${i}`)));
      expect(a).toEqual(b);
      for (const config of a) expect(checkSubnetConfig(space, config)).toEqual([]);
    }
  });

  it('covers every choice roughly uniformly', () => {
    const space = SPACES['ofa-mbv3-w1.0'];
    const rng = createRng(7);
    const counts = new Map<number, number>();
    for (let i = 0; i < 300; i++) for (const k of sampleConfig(space, rng).ks) counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const k of space.kernelChoices) expect(counts.get(k)! / 6000).toBeGreaterThan(0.3);
  });

  it('restricts choices for a progressive-shrinking phase', () => {
    const space = SPACES['ofa-mbv3-mini'];
    const config = sampleConfig(space, createRng(1), { e: [6], d: [4] });
    expect(new Set(config.e)).toEqual(new Set([6]));
    expect(config.d).toEqual([4, 4, 4, 4, 4]);
  });

  it('mutates with the reference probabilities', () => {
    const space = SPACES['ofa-mbv3-w1.0'];
    const rng = createRng(3);
    const parent = sampleConfig(space, rng);
    let blockChanges = 0;
    let resolutionChanges = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const child = mutateConfig(space, parent, rng);
      blockChanges += child.ks.filter((k, i) => k !== parent.ks[i] || child.e[i] !== parent.e[i]).length;
      if (child.r !== parent.r) resolutionChanges++;
      expect(checkSubnetConfig(space, child)).toEqual([]);
    }
    // A resampled pair keeps both values with p = 1/9, so P(change) = 0.1 * 8/9 per block.
    expect(blockChanges / (trials * 20)).toBeCloseTo(0.1 * (8 / 9), 1);
    expect(resolutionChanges / trials).toBeCloseTo(0.5 * (24 / 25), 1);
  });

  it('crosses over element-wise from the two parents', () => {
    const space = SPACES['ofa-mbv3-w1.0'];
    const rng = createRng(11);
    const a = sampleConfig(space, rng);
    const b = sampleConfig(space, rng);
    const child = crossoverConfigs(a, b, rng);
    child.ks.forEach((k, i) => expect([a.ks[i], b.ks[i]]).toContain(k));
    child.d.forEach((d, s) => expect([a.d[s], b.d[s]]).toContain(d));
    expect([a.r, b.r]).toContain(child.r);
  });
});
