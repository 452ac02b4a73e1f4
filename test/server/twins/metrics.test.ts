import { describe, expect, it } from 'vitest';
import { kendallTau, twinMetrics } from '../../../server/twins/metrics';

describe('twin metrics', () => {
  it('computes Kendall tau-b on hand-checked cases', () => {
    expect(kendallTau([1, 2, 3], [10, 20, 30])).toBe(1);
    expect(kendallTau([1, 2, 3], [3, 2, 1])).toBe(-1);
    // 5 concordant pairs, 1 discordant (the 2nd and 3rd swapped): (5 - 1) / 6.
    expect(kendallTau([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12);
    // A tie in the first list: 2 concordant, 0 discordant, n0 = 3, one tie: 2 / sqrt(2 * 3) (scipy: 0.8164965809).
    expect(kendallTau([1, 1, 2], [1, 2, 3])).toBeCloseTo(0.8164965809, 9);
    expect(kendallTau([1, 2, 3], [5, 5, 5])).toBeNaN();
  });

  it('counts ±5% / ±10% and RMSPE relative to the measurement', () => {
    const m = twinMetrics([105, 90, 100, 120], [100, 100, 100, 100]);
    expect(m.n).toBe(4);
    expect(m.within5).toBe(0.5); // +5% counts, -10% and +20% do not
    expect(m.within10).toBe(0.75);
    expect(m.rmspe).toBeCloseTo(Math.sqrt((0.0025 + 0.01 + 0 + 0.04) / 4), 12);
    const perfect = twinMetrics([1, 2, 3], [1, 2, 3]);
    expect(perfect).toEqual({ n: 3, within5: 1, within10: 1, rmspe: 0, kendallTau: 1 });
    expect(() => twinMetrics([1], [0])).toThrow(/must be positive/);
  });
});
