/** Fronts are plotted from at most MAX_PLOTTED_NON_DOMINATED points, evenly by latency, ends kept. */
import { describe, expect, it } from 'vitest';
import { MAX_PLOTTED_NON_DOMINATED, thinByLatency } from '../../server/http/dashboard/insights-data';

describe('thinByLatency', () => {
  const points = (n: number) => Array.from({ length: n }, (_, i) => ({ predictedLatencyMs: (i * 7919) % n, id: i }));

  it('keeps a small set whole, sorted by latency', () => {
    const thinned = thinByLatency(points(10));
    expect(thinned.map((p) => p.predictedLatencyMs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('thins a large set evenly, keeping the fastest and the slowest', () => {
    const thinned = thinByLatency(points(70_001));
    expect(thinned).toHaveLength(MAX_PLOTTED_NON_DOMINATED);
    expect(thinned[0].predictedLatencyMs).toBe(0);
    expect(thinned[thinned.length - 1].predictedLatencyMs).toBe(70_000);
    const gaps = thinned.slice(1).map((p, i) => p.predictedLatencyMs - thinned[i].predictedLatencyMs);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });
});
