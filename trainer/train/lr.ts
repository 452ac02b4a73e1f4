/**
 * The reference learning-rate schedule (§5.2), per iteration: linear warm-up from `warmupLr` to
 * `lr0` over the warm-up steps (which come before the cosine steps), then
 * lr = 0.5 * lr0 * (1 + cos(pi * t / T)) over the cosine steps.
 */
export interface LrSchedule {
  lr0: number;
  warmupLr: number;
  warmupSteps: number;
  cosineSteps: number;
}

/** Learning rate of 0-based step `t` of a phase. */
export function learningRate(s: LrSchedule, t: number): number {
  if (t < s.warmupSteps) return ((t + 1) / s.warmupSteps) * (s.lr0 - s.warmupLr) + s.warmupLr;
  const c = Math.min(t - s.warmupSteps, s.cosineSteps);
  return 0.5 * s.lr0 * (1 + Math.cos((Math.PI * c) / Math.max(1, s.cosineSteps)));
}
