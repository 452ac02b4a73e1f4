/**
 * How good a latency twin is on measured subnets it never saw: the share of predictions within
 * ±5% and ±10% of the measurement, RMSPE (root-mean-square of relative errors) and Kendall's τ-b
 * between predicted and measured latencies (does the twin rank subnets as the device does).
 */
export interface TwinMetrics {
  n: number;
  within5: number;
  within10: number;
  rmspe: number;
  kendallTau: number;
}

/**
 * Kendall's τ-b: (concordant - discordant) / sqrt((n0 - tiesA) (n0 - tiesB)), n0 = n(n-1)/2.
 * O(n²), fine for the few thousand points a twin is judged on. NaN when either side is constant.
 */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError('kendallTau needs two lists of equal length');
  const n = a.length;
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const da = Math.sign(a[i] - a[j]);
      const db = Math.sign(b[i] - b[j]);
      if (da === 0) tiesA++;
      if (db === 0) tiesB++;
      if (da !== 0 && db !== 0) {
        if (da === db) concordant++;
        else discordant++;
      }
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((n0 - tiesA) * (n0 - tiesB));
  return denominator > 0 ? (concordant - discordant) / denominator : Number.NaN;
}

export function twinMetrics(predicted: ArrayLike<number>, measured: ArrayLike<number>): TwinMetrics {
  if (predicted.length !== measured.length) throw new RangeError('twinMetrics needs as many predictions as measurements');
  const n = measured.length;
  if (n === 0) return { n: 0, within5: Number.NaN, within10: Number.NaN, rmspe: Number.NaN, kendallTau: Number.NaN };
  let in5 = 0;
  let in10 = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    if (!(measured[i] > 0)) throw new RangeError(`measured latency ${i} must be positive, got ${measured[i]}`);
    const rel = predicted[i] / measured[i] - 1;
    // A hair of tolerance so that exactly 5% (in floating point) counts as within 5%.
    if (Math.abs(rel) <= 0.05 + 1e-12) in5++;
    if (Math.abs(rel) <= 0.1 + 1e-12) in10++;
    squares += rel * rel;
  }
  return { n, within5: in5 / n, within10: in10 / n, rmspe: Math.sqrt(squares / n), kendallTau: kendallTau(predicted, measured) };
}
