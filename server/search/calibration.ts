/**
 * Calibrated budgets: a twin's prediction is off by its error, and the search pushes every chosen
 * subnet right up to its budget, so about half of them measure over it. With `calibrate`, each
 * budget is searched at budget x min(1, tolerance / q), where q is the 95th percentile of
 * measured / predicted on the twin's held-out subnets: then about 95% of chosen subnets measure
 * within tolerance x budget, if the device behaves as it did when the twin was judged.
 */
export interface Calibration {
  /** Searched budget = asked budget x factor. */
  factor: number;
  /** 95th percentile of measured / predicted on held-out subnets. */
  ratioQ95: number;
  tolerance: number;
  heldOut: number;
}

export function calibrationOf(points: readonly { measured: number; predicted: number }[], tolerance = 1.05): Calibration | null {
  const ratios = points.filter((p) => p.measured > 0 && p.predicted > 0).map((p) => p.measured / p.predicted).sort((a, b) => a - b);
  if (ratios.length < 5) return null;
  const pos = (ratios.length - 1) * 0.95;
  const lo = Math.floor(pos);
  const q = ratios[lo] + (ratios[Math.ceil(pos)] - ratios[lo]) * (pos - lo);
  return { factor: Math.min(1, tolerance / q), ratioQ95: q, tolerance, heldOut: ratios.length };
}
