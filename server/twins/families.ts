/**
 * Twin families, fitted side by side on one device's measurements:
 * - `macs`: affine in analytic MACs (the baseline);
 * - `table-sum`: the reference lookup-table sum over the device's own per-part measurements,
 *   with a fitted scale and overhead (a + b x sum);
 * - `ridge`: ridge regression on cost features split by stage, operator and kernel (features.ts);
 * - `ridge-table`: the same features plus the table's per-stage sums;
 * - `boosted`: the best linear model times exp(boosted trees on cost features, the OFA one-hot
 *   encoding and, with a table, its sums), i.e. trees learn what the linear model misses;
 * - `transfer`: a new device from other devices' twins: their (scaled) prediction, corrected
 *   by this device's cost features as far as its measurements allow.
 * Linear fits weight each subnet by 1/y², so they minimise relative error.
 */
import type { SubnetConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { createRng } from '../../core/rng';
import type { SpaceDef } from '../../core/space';
import { costFeatures, treeFeatures } from './features';
import { fitGbm, predictGbm, type GbmModel } from './gbm';
import { fitRidge, ridgePredict, type RidgeModel } from './linear';
import type { LatencyTable } from './table';

export const TWIN_FAMILIES = ['macs', 'table-sum', 'ridge', 'ridge-table', 'boosted', 'transfer'] as const;
export type TwinFamily = (typeof TWIN_FAMILIES)[number];

export interface LatencySample {
  config: SubnetConfig;
  /** Measured latency (ms) of the statistic the twin models (median by default). */
  ms: number;
}

/** Another device's twin, as a transfer source. */
export interface SourceTwin {
  device: string;
  predict(configs: readonly SubnetConfig[]): Float64Array;
}

export interface FitContext {
  space: SpaceDef;
  table: LatencyTable | null;
  sources: readonly SourceTwin[];
  seed: number;
}

export interface FittedModel {
  family: TwinFamily;
  predict(configs: readonly SubnetConfig[]): Float64Array;
  /** Plain JSON parameters; `loadModel(family, params, ctx)` rebuilds the model. */
  params: unknown;
}

interface AffineParams {
  a: number;
  b: number;
}
interface BoostedParams {
  base: 'ridge' | 'ridge-table';
  linear: RidgeModel;
  gbm: GbmModel;
}
interface TransferParams {
  sources: string[];
  ridge: RidgeModel;
}

export function familyNeeds(family: TwinFamily): 'table' | 'sources' | null {
  if (family === 'table-sum' || family === 'ridge-table') return 'table';
  if (family === 'transfer') return 'sources';
  return null;
}

/** The fewest measured subnets a family is fitted from (its parameter count, roughly). */
export function familyMinSamples(family: TwinFamily): number {
  return family === 'macs' || family === 'table-sum' || family === 'transfer' ? 3 : 8;
}

const weightsOf = (samples: readonly LatencySample[]) => samples.map((s) => 1 / (s.ms * s.ms));
/** Up to very strong shrinkage: with a few subnets the corrections should stay near zero. */
const TRANSFER_LAMBDAS = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e4] as const;
const floorMs = (v: number) => Math.max(v, 1e-4);

function fitAffine(x: readonly number[], samples: readonly LatencySample[]): AffineParams {
  const model = fitRidge(
    x.map((v) => [v]),
    samples.map((s) => s.ms),
    weightsOf(samples),
    [0],
    1,
  );
  return { a: model.intercept, b: model.coef[0] };
}

function macsOf(ctx: FitContext, configs: readonly SubnetConfig[]): number[] {
  return configs.map((c) => subnetCost(ctx.space, c).macs / 1e6);
}

function linearRows(ctx: FitContext, configs: readonly SubnetConfig[], withTable: boolean): Float64Array[] {
  return configs.map((c) => {
    const cost = costFeatures(ctx.space, c);
    if (!withTable) return cost;
    const sums = requireTable(ctx).groupSums(c);
    const row = new Float64Array(cost.length + sums.length);
    row.set(cost);
    row.set(sums, cost.length);
    return row;
  });
}

function treeRows(ctx: FitContext, configs: readonly SubnetConfig[]): Float64Array[] {
  const table = ctx.table;
  return treeFeatures(ctx.space, configs, table ? (c) => [...table.groupSums(c), table.sum(c)] : undefined).rows;
}

function requireTable(ctx: FitContext): LatencyTable {
  if (!ctx.table) throw new Error('this twin family needs the device latency table (a blocks sweep)');
  return ctx.table;
}

/**
 * Transfer features: the mean source prediction (ms, never penalised), each source's deviation
 * from it, then this device's own cost features. The fit is linear in ms with 1/y² weights; the
 * ridge penalty (chosen by leave-one-out) keeps a fit on a handful of subnets close to a scaled
 * source twin and lets more measurements correct it per stage and operator.
 */
function sourceRows(ctx: FitContext, names: readonly string[], configs: readonly SubnetConfig[]): Float64Array[] {
  const preds = names.map((name) => {
    const source = ctx.sources.find((s) => s.device === name);
    if (!source) throw new Error(`transfer twin source ${name} is missing`);
    return source.predict(configs);
  });
  return configs.map((config, i) => {
    const values = preds.map((p) => p[i]);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const own = costFeatures(ctx.space, config);
    return Float64Array.from([mean, ...(values.length > 1 ? values.map((v) => v - mean) : []), ...own]);
  });
}

/** Rebuilds a fitted model from its JSON parameters. */
export function loadModel(family: TwinFamily, params: unknown, ctx: FitContext): FittedModel {
  const make = (predict: (configs: readonly SubnetConfig[]) => Float64Array): FittedModel => ({ family, predict, params });
  switch (family) {
    case 'macs': {
      const p = params as AffineParams;
      return make((configs) => Float64Array.from(macsOf(ctx, configs), (m) => floorMs(p.a + p.b * m)));
    }
    case 'table-sum': {
      const p = params as AffineParams;
      const table = requireTable(ctx);
      return make((configs) => Float64Array.from(configs, (c) => floorMs(p.a + p.b * table.sum(c))));
    }
    case 'ridge':
    case 'ridge-table': {
      const p = params as RidgeModel;
      return make((configs) => Float64Array.from(linearRows(ctx, configs, family === 'ridge-table'), (row) => floorMs(ridgePredict(p, row))));
    }
    case 'boosted': {
      const p = params as BoostedParams;
      return make((configs) => {
        const lin = linearRows(ctx, configs, p.base === 'ridge-table');
        const trees = treeRows(ctx, configs);
        return Float64Array.from(configs, (_, i) => floorMs(ridgePredict(p.linear, lin[i])) * Math.exp(predictGbm(p.gbm, trees[i])));
      });
    }
    case 'transfer': {
      const p = params as TransferParams;
      return make((configs) => Float64Array.from(sourceRows(ctx, p.sources, configs), (row) => floorMs(ridgePredict(p.ridge, row))));
    }
  }
}

/** Fits one family on samples; throws when the family cannot apply (no table, no sources, too few samples). */
export function fitModel(family: TwinFamily, samples: readonly LatencySample[], ctx: FitContext): FittedModel {
  if (samples.length < familyMinSamples(family)) throw new Error(`${family} needs at least ${familyMinSamples(family)} measured subnets, got ${samples.length}`);
  const configs = samples.map((s) => s.config);
  const y = samples.map((s) => s.ms);
  switch (family) {
    case 'macs':
      return loadModel(family, fitAffine(macsOf(ctx, configs), samples), ctx);
    case 'table-sum': {
      const table = requireTable(ctx);
      return loadModel(family, fitAffine(configs.map((c) => table.sum(c)), samples), ctx);
    }
    case 'ridge':
    case 'ridge-table':
      return loadModel(family, fitRidge(linearRows(ctx, configs, family === 'ridge-table'), y, weightsOf(samples)), ctx);
    case 'boosted': {
      const base = ctx.table ? 'ridge-table' : 'ridge';
      const linear = fitRidge(linearRows(ctx, configs, base === 'ridge-table'), y, weightsOf(samples));
      const linRows = linearRows(ctx, configs, base === 'ridge-table');
      const residual = samples.map((s, i) => Math.log(s.ms) - Math.log(floorMs(ridgePredict(linear, linRows[i]))));
      const gbm = fitGbm(treeRows(ctx, configs), residual, { rng: createRng(`${ctx.seed}/boosted`) });
      return loadModel(family, { base, linear, gbm } satisfies BoostedParams, ctx);
    }
    case 'transfer': {
      if (ctx.sources.length === 0) throw new Error('a transfer twin needs at least one other device with a twin');
      const names = ctx.sources.map((s) => s.device);
      const rows = sourceRows(ctx, names, configs);
      const ridge = fitRidge(rows, y, weightsOf(samples), TRANSFER_LAMBDAS, 1);
      return loadModel(family, { sources: names, ridge } satisfies TransferParams, ctx);
    }
  }
}
