/**
 * Judging twin families honestly: a held-out split of measured subnets never used for fitting,
 * k-fold cross-validation on the rest (which picks the active family), and learning curves (the
 * same held-out subnets, families fitted on the first n training subnets).
 */
import type { Rng } from '../../core/rng';
import { fitModel, type FitContext, type LatencySample, type TwinFamily } from './families';
import { twinMetrics, type TwinMetrics } from './metrics';

export interface Split {
  train: LatencySample[];
  heldOut: LatencySample[];
}

/** Shuffled split; fewer than `minForHoldOut` samples keep everything for training (CV only). */
export function splitSamples(samples: readonly LatencySample[], fraction: number, rng: Rng, minForHoldOut = 20): Split {
  const shuffled = rng.shuffle(samples);
  const count = samples.length >= minForHoldOut ? Math.max(1, Math.floor(samples.length * fraction)) : 0;
  return { heldOut: shuffled.slice(0, count), train: shuffled.slice(count) };
}

/** Predictions for every sample from a model fitted on the other folds (pooled k-fold CV). */
export function crossValidate(family: TwinFamily, samples: readonly LatencySample[], ctx: FitContext, folds: number): Float64Array {
  const k = Math.max(2, Math.min(folds, samples.length));
  const predicted = new Float64Array(samples.length);
  for (let fold = 0; fold < k; fold++) {
    const train = samples.filter((_, i) => i % k !== fold);
    const test = samples.filter((_, i) => i % k === fold);
    const model = fitModel(family, train, ctx);
    const values = model.predict(test.map((s) => s.config));
    let j = 0;
    samples.forEach((_, i) => {
      if (i % k === fold) predicted[i] = values[j++];
    });
  }
  return predicted;
}

export function evaluateOn(family: TwinFamily, train: readonly LatencySample[], test: readonly LatencySample[], ctx: FitContext): { metrics: TwinMetrics; predicted: Float64Array } {
  const model = fitModel(family, train, ctx);
  const predicted = model.predict(test.map((s) => s.config));
  return { metrics: twinMetrics(predicted, test.map((s) => s.ms)), predicted };
}

export interface LearningCurvePoint {
  n: number;
  family: TwinFamily;
  metrics: TwinMetrics | null;
  error?: string;
}

export const LEARNING_CURVE_SIZES = [10, 20, 50, 100, 200] as const;

/** Each family fitted on the first n training subnets, judged on the same held-out subnets. */
export function learningCurve(
  families: readonly TwinFamily[],
  split: Split,
  ctx: FitContext,
  sizes: readonly number[] = LEARNING_CURVE_SIZES,
): LearningCurvePoint[] {
  const points: LearningCurvePoint[] = [];
  if (split.heldOut.length === 0) return points;
  for (const n of sizes) {
    if (n > split.train.length) continue;
    for (const family of families) {
      try {
        points.push({ n, family, metrics: evaluateOn(family, split.train.slice(0, n), split.heldOut, ctx).metrics });
      } catch (error) {
        points.push({ n, family, metrics: null, error: (error as Error).message });
      }
    }
  }
  return points;
}
