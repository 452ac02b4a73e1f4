/**
 * A latency twin as stored (the db `twins` table holds this JSON) and as used (a LatencyModel for
 * the search). The JSON is self-contained: a table-based twin carries its lookup table, a transfer
 * twin carries the twins of its source devices, so loading needs nothing else.
 */
import { z } from 'zod';
import type { SubnetConfig } from '../../core/config';
import { ValidationError } from '../../core/errors';
import { SPACE_NAMES, SPACES } from '../../core/space';
import { sha256Hex } from '../../core/subnet-id';
import type { LatencyModel } from '../search/types';
import { loadModel, TWIN_FAMILIES, type FitContext, type TwinFamily } from './families';
import type { TwinMetrics } from './metrics';
import { LatencyTable, type LatencyTableJson } from './table';

export const TWIN_FORMAT = 'ofa-farm/latency-twin';
/** What a twin predicts: a stored statistic, or (lab data) p10 or CPU time per run. */
export const TWIN_STATISTICS = ['median', 'min', 'p10', 'cpu'] as const;
export type TwinStatistic = (typeof TWIN_STATISTICS)[number];

const Metrics = z.object({
  n: z.number().int().nonnegative(),
  within5: z.number().nullable(),
  within10: z.number().nullable(),
  rmspe: z.number().nullable(),
  kendallTau: z.number().nullable(),
});

export interface TwinJson {
  format: typeof TWIN_FORMAT;
  formatVersion: 1;
  space: (typeof SPACE_NAMES)[number];
  device: string;
  family: TwinFamily;
  statistic: TwinStatistic;
  params: unknown;
  table: LatencyTableJson | null;
  sources: { device: string; twin: TwinJson }[];
  trainedOn: number;
  /** Judged before the final refit: k-fold CV on the training split, and the held-out split. */
  metrics: { cv: TwinMetrics | null; heldOut: TwinMetrics | null };
  createdAt: string;
}

export const TwinJsonSchema: z.ZodType<TwinJson> = z.lazy(() =>
  z.object({
    format: z.literal(TWIN_FORMAT),
    formatVersion: z.literal(1),
    space: z.enum(SPACE_NAMES),
    device: z.string().min(1).max(200),
    family: z.enum(TWIN_FAMILIES),
    statistic: z.enum(TWIN_STATISTICS),
    params: z.unknown(),
    table: z.object({ space: z.enum(SPACE_NAMES), entries: z.array(z.tuple([z.string(), z.number().nonnegative()])) }).nullable(),
    sources: z.array(z.object({ device: z.string(), twin: TwinJsonSchema })),
    trainedOn: z.number().int().nonnegative(),
    metrics: z.object({ cv: Metrics.nullable(), heldOut: Metrics.nullable() }),
    createdAt: z.string(),
  }),
) as z.ZodType<TwinJson>;

export interface LatencyTwin extends LatencyModel {
  space: TwinJson['space'];
  device: string;
  family: TwinFamily;
  /** 16 hex digits of the sha256 of the twin's parameters, table and sources. */
  version: string;
  metrics: TwinJson['metrics'];
  predict(configs: readonly SubnetConfig[]): Float64Array;
  toJSON(): TwinJson;
}

/** Metrics as JSON: NaN (an undefined Kendall τ) becomes null. */
export function metricsJson(m: TwinMetrics | null): TwinMetrics | null {
  if (!m) return null;
  const clean = (v: number) => (Number.isFinite(v) ? v : null) as number;
  return { n: m.n, within5: clean(m.within5), within10: clean(m.within10), rmspe: clean(m.rmspe), kendallTau: clean(m.kendallTau) };
}

export function twinVersion(json: Pick<TwinJson, 'space' | 'device' | 'family' | 'statistic' | 'params' | 'table' | 'sources'>): string {
  return sha256Hex(
    JSON.stringify({
      space: json.space,
      device: json.device,
      family: json.family,
      statistic: json.statistic,
      params: json.params,
      table: json.table,
      sources: json.sources.map((s) => twinVersion(s.twin)),
    }),
  ).slice(0, 16);
}

/** Builds the usable twin from its JSON; bad input is a ValidationError naming the problem. */
export function loadTwin(input: unknown, depth = 0): LatencyTwin {
  if (depth > 4) throw new ValidationError('twin sources nest deeper than 4 levels');
  const parsed = TwinJsonSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`not a latency twin: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const json = parsed.data;
  const space = SPACES[json.space];
  const table = json.table ? new LatencyTable(space, new Map(json.table.entries)) : null;
  const sources = json.sources.map((s) => {
    const twin = loadTwin(s.twin, depth + 1);
    return { device: s.device, predict: (configs: readonly SubnetConfig[]) => twin.predict(configs) };
  });
  const ctx: FitContext = { space, table, sources, seed: 0 };
  const model = loadModel(json.family, json.params, ctx);
  const version = twinVersion(json);
  return {
    space: json.space,
    device: json.device,
    family: json.family,
    version,
    label: `${json.device} twin (${json.family}, ${version.slice(0, 8)})`,
    metrics: json.metrics,
    predict: (configs) => model.predict(configs),
    toJSON: () => json,
  };
}
