import { describe, expect, it } from 'vitest';
import { MeasurementSettings, plannedRuns, summarize } from '../../core/measurement';

describe('measurement summary', () => {
  it('computes the distribution of samples', () => {
    const s = summarize([4, 1, 3, 2, 5]);
    expect(s).toMatchObject({ runs: 5, minMs: 1, medianMs: 3, meanMs: 3, maxMs: 5 });
    expect(s.p90Ms).toBeCloseTo(4.6);
    expect(s.stdMs).toBeCloseTo(Math.sqrt(2.5));
    expect(s.cv).toBeCloseTo(Math.sqrt(2.5) / 3);
  });

  it('rejects an empty sample list', () => {
    expect(() => summarize([])).toThrow(/at least one sample/);
  });

  it('plans at least 30 runs and at least one second by default', () => {
    const settings = MeasurementSettings.parse({});
    expect(settings).toMatchObject({ warmupRuns: 5, warmupMinMs: 500, runs: 30, minTimedMs: 1000 });
    expect(plannedRuns(settings, 2)).toBe(500);
    expect(plannedRuns(settings, 100)).toBe(30);
    expect(plannedRuns({ ...settings, maxRuns: 100 }, 0.001)).toBe(100);
  });
});
