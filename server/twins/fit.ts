/**
 * Fits every applicable twin family for one (device, space) side by side and keeps them all with
 * their metrics: k-fold CV on the training split picks the active family (lowest CV RMSPE), the
 * held-out split (never fitted on) reports ±5% / ±10% / RMSPE / Kendall τ, and a learning curve
 * shows each family against the number of measured subnets. The stored twins are then refitted on
 * every sample; their recorded metrics are those of the split, which is the honest estimate.
 */
import { createRng } from '../../core/rng';
import type { SpaceDef } from '../../core/space';
import { subnetId } from '../../core/subnet-id';
import { crossValidate, evaluateOn, learningCurve, splitSamples, LEARNING_CURVE_SIZES, type LearningCurvePoint } from './evaluate';
import { familyMinSamples, familyNeeds, fitModel, TWIN_FAMILIES, type FitContext, type LatencySample, type TwinFamily } from './families';
import { twinMetrics, type TwinMetrics } from './metrics';
import type { LatencyTable } from './table';
import { loadTwin, metricsJson, TWIN_FORMAT, type LatencyTwin, type TwinStatistic } from './twin';

export interface FitTwinsInput {
  space: SpaceDef;
  device: string;
  samples: readonly LatencySample[];
  statistic?: TwinStatistic;
  table?: LatencyTable | null;
  /** Other devices' active twins, for the transfer family. */
  sources?: readonly LatencyTwin[];
  seed?: number;
  heldOutFraction?: number;
  folds?: number;
  families?: readonly TwinFamily[];
  /** Training sizes of the learning curve; [] for none. */
  learningCurveSizes?: readonly number[];
  onProgress?: (message: string) => void;
}

export interface HeldOutPoint {
  id: string;
  measured: number;
  predicted: number;
}

export interface FamilyReport {
  family: TwinFamily;
  cv: TwinMetrics | null;
  heldOut: TwinMetrics | null;
  heldOutPoints: HeldOutPoint[];
  /** Why the family was not fitted (no table, too few samples...). */
  error: string | null;
}

export interface TwinFitReport {
  space: SpaceDef['name'];
  device: string;
  statistic: TwinStatistic;
  counts: { samples: number; train: number; heldOut: number };
  families: FamilyReport[];
  active: TwinFamily;
  learningCurve: LearningCurvePoint[];
}

export interface TwinFitResult {
  report: TwinFitReport;
  active: LatencyTwin;
  /** Every family that could be fitted, refitted on all samples. */
  twins: LatencyTwin[];
}

/** One sample per subnet: repeated measurements of a subnet collapse to their median. */
export function collapseRepeats(space: SpaceDef, samples: readonly LatencySample[]): LatencySample[] {
  const groups = new Map<string, LatencySample[]>();
  for (const sample of samples) {
    if (!(sample.ms > 0) || !Number.isFinite(sample.ms)) continue;
    const id = subnetId(space, sample.config);
    groups.set(id, [...(groups.get(id) ?? []), sample]);
  }
  return [...groups.values()].map((group) => {
    const sorted = group.map((s) => s.ms).sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return { config: group[0].config, ms: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2 };
  });
}

export function fitTwins(input: FitTwinsInput): TwinFitResult {
  const { space } = input;
  const seed = input.seed ?? 0;
  const statistic = input.statistic ?? 'median';
  const samples = collapseRepeats(space, input.samples);
  if (samples.length < 3) throw new RangeError(`fitting a twin for ${input.device} needs at least 3 measured subnets of ${space.name}, got ${samples.length}`);
  const table = input.table ?? null;
  const sourceTwins = (input.sources ?? []).filter((t) => t.device !== input.device && t.space === space.name);
  const ctx: FitContext = { space, table, sources: sourceTwins.map((t) => ({ device: t.device, predict: (c) => t.predict(c) })), seed };
  const usableSamples = table ? samples.filter((s) => table.covers(s.config)) : samples;
  const split = splitSamples(usableSamples, input.heldOutFraction ?? 0.2, createRng(`${seed}/split`));
  const folds = input.folds ?? 5;

  const families: FamilyReport[] = [];
  for (const family of input.families ?? TWIN_FAMILIES) {
    const needs = familyNeeds(family);
    const skip =
      needs === 'table' && !table
        ? 'no latency table for this device (run a blocks sweep)'
        : needs === 'sources' && sourceTwins.length === 0
          ? 'no other device has a twin of this space'
          : split.train.length < Math.max(familyMinSamples(family), 2)
            ? `needs at least ${familyMinSamples(family)} measured subnets`
            : null;
    if (skip) {
      families.push({ family, cv: null, heldOut: null, heldOutPoints: [], error: skip });
      continue;
    }
    input.onProgress?.(`${input.device}: fitting ${family}`);
    try {
      const cvPred = crossValidate(family, split.train, ctx, folds);
      const cv = twinMetrics(cvPred, split.train.map((s) => s.ms));
      let heldOut: TwinMetrics | null = null;
      let heldOutPoints: HeldOutPoint[] = [];
      if (split.heldOut.length > 0) {
        const evaluated = evaluateOn(family, split.train, split.heldOut, ctx);
        heldOut = evaluated.metrics;
        heldOutPoints = split.heldOut.map((s, i) => ({ id: subnetId(space, s.config), measured: s.ms, predicted: evaluated.predicted[i] }));
      }
      families.push({ family, cv: metricsJson(cv), heldOut: metricsJson(heldOut), heldOutPoints, error: null });
    } catch (error) {
      families.push({ family, cv: null, heldOut: null, heldOutPoints: [], error: (error as Error).message });
    }
  }
  const fitted = families.filter((f) => f.cv && f.cv.rmspe !== null);
  if (fitted.length === 0) throw new RangeError(`no twin family could be fitted for ${input.device}: ${families.map((f) => `${f.family}: ${f.error}`).join('; ')}`);
  const active = fitted.reduce((a, b) => (b.cv!.rmspe < a.cv!.rmspe ? b : a)).family;

  const curve = learningCurve(
    fitted.map((f) => f.family),
    split,
    ctx,
    input.learningCurveSizes ?? LEARNING_CURVE_SIZES,
  );

  const createdAt = new Date().toISOString();
  const twins = fitted.map((report) => {
    const model = fitModel(report.family, usableSamples, ctx);
    return loadTwin({
      format: TWIN_FORMAT,
      formatVersion: 1,
      space: space.name,
      device: input.device,
      family: report.family,
      statistic,
      params: model.params,
      table: familyNeeds(report.family) === 'table' || (report.family === 'boosted' && table) ? table!.toJSON() : null,
      sources: report.family === 'transfer' ? sourceTwins.map((t) => ({ device: t.device, twin: t.toJSON() })) : [],
      trainedOn: usableSamples.length,
      metrics: { cv: report.cv, heldOut: report.heldOut },
      createdAt,
    });
  });
  return {
    report: {
      space: space.name,
      device: input.device,
      statistic,
      counts: { samples: usableSamples.length, train: split.train.length, heldOut: split.heldOut.length },
      families,
      active,
      learningCurve: curve,
    },
    active: twins.find((t) => t.family === active)!,
    twins,
  };
}
