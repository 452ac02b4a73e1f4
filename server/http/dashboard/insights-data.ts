/**
 * What the dashboards plot from twins, fronts and subnets: every family of a twin version with
 * its held-out predicted-vs-measured points and learning curve; each device's newest Pareto front
 * of a space (to overlay several devices); one subnet with its cost and its measurements on every
 * device.
 */
import { and, asc, count, desc, eq, isNull, max, sql } from 'drizzle-orm';
import type { SubnetConfig } from '../../../core/config';
import { NotFoundError } from '../../../core/errors';
import type { Db } from '../../../db/client';
import { requireDeviceByName } from '../../../db/queries/devices';
import { devices } from '../../../db/schema/devices';
import { measurements } from '../../../db/schema/measurements';
import { searchRuns } from '../../../db/schema/search';
import { subnets } from '../../../db/schema/subnets';
import { twins } from '../../../db/schema/twins';
import type { StoredFront } from '../../search/front-store';
import { storedFront } from '../../search/pareto-service';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export interface TwinQualityPoint {
  id: string;
  measured: number;
  predicted: number;
}

export interface TwinCurvePoint {
  n: number;
  within5: number | null;
  within10: number | null;
  rmspe: number | null;
  kendallTau: number | null;
}

export interface TwinFamilyQuality {
  family: string;
  active: boolean;
  basis: 'held-out' | 'cv';
  heldOut: number;
  within5: number | null;
  within10: number | null;
  rmspe: number | null;
  kendallTau: number | null;
  points: TwinQualityPoint[];
  curve: TwinCurvePoint[];
}

export interface TwinQuality {
  device: string;
  space: string;
  /** Every stored version, newest first; the shown one is `version`. */
  versions: number[];
  version: number | null;
  nMeasurements: number;
  statistic: string | null;
  createdAt: string | null;
  families: TwinFamilyQuality[];
}

function points(value: unknown): TwinQualityPoint[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((p) => {
    const m = num((p as TwinQualityPoint)?.measured);
    const q = num((p as TwinQualityPoint)?.predicted);
    return m !== null && q !== null ? [{ id: String((p as TwinQualityPoint).id ?? ''), measured: m, predicted: q }] : [];
  });
}

export async function twinQuality(db: Db, deviceName: string, space: string, version?: number): Promise<TwinQuality> {
  const device = await requireDeviceByName(db, deviceName);
  const versionRows = await db
    .selectDistinct({ version: twins.version })
    .from(twins)
    .where(and(eq(twins.deviceId, device.id), eq(twins.space, space)))
    .orderBy(desc(twins.version))
    .limit(500);
  const versions = versionRows.map((r) => r.version);
  const shown = version ?? versions[0] ?? null;
  if (version !== undefined && !versions.includes(version)) throw new NotFoundError(`device ${deviceName} has no twin version ${version} for ${space}`);
  const empty: TwinQuality = { device: device.name, space, versions, version: shown, nMeasurements: 0, statistic: null, createdAt: null, families: [] };
  if (shown === null) return empty;
  const rows = await db
    .select({ family: twins.family, active: twins.active, metrics: twins.metrics, n: twins.nMeasurements, createdAt: twins.createdAt })
    .from(twins)
    .where(and(eq(twins.deviceId, device.id), eq(twins.space, space), eq(twins.version, shown)))
    .orderBy(asc(twins.family));
  const winner = rows.find((r) => r.active) ?? rows.reduce<(typeof rows)[number] | null>((best, r) => (best === null || (num(r.metrics.rmspe) ?? Infinity) < (num(best.metrics.rmspe) ?? Infinity) ? r : best), null);
  return {
    ...empty,
    nMeasurements: rows[0]?.n ?? 0,
    statistic: typeof rows[0]?.metrics.statistic === 'string' ? rows[0].metrics.statistic : null,
    createdAt: rows[0]?.createdAt.toISOString() ?? null,
    families: rows.map((r) => ({
      family: r.family,
      active: r === winner,
      basis: r.metrics.basis === 'cv' ? 'cv' : 'held-out',
      heldOut: num(r.metrics.heldOut) ?? 0,
      within5: num(r.metrics.within5),
      within10: num(r.metrics.within10),
      rmspe: num(r.metrics.rmspe),
      kendallTau: num(r.metrics.kendallTau),
      points: points(r.metrics.heldOutPoints),
      curve: (Array.isArray(r.metrics.learningCurve) ? r.metrics.learningCurve : []).map((p) => ({
        n: p.n,
        within5: num(p.within5),
        within10: num(p.within10),
        rmspe: num(p.rmspe),
        kendallTau: num(p.kendallTau),
      })),
    })),
  };
}

export interface DeviceFront {
  device: { name: string; kind: string };
  /** The front, its non-dominated set thinned to at most MAX_PLOTTED_NON_DOMINATED points. */
  front: StoredFront;
  /** Size of the whole non-dominated set (GET /api/devices/:name/pareto?run=ID has all of it). */
  nonDominatedTotal: number;
}

/** More points than a chart can show apart; the set can hold every evaluated subnet. */
export const MAX_PLOTTED_NON_DOMINATED = 400;

/** Evenly spaced by latency rank, fastest and slowest kept. */
export function thinByLatency<T extends { predictedLatencyMs: number }>(points: readonly T[], max = MAX_PLOTTED_NON_DOMINATED): T[] {
  const sorted = [...points].sort((a, b) => a.predictedLatencyMs - b.predictedLatencyMs);
  if (sorted.length <= max) return sorted;
  return Array.from({ length: max }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (max - 1))]);
}

/**
 * Plotted fronts by run: a stored front only changes when its verify sweep measures, and reading
 * one whole can mean thousands of rows, so pages refreshing every second read each version once.
 */
const plottedByDb = new WeakMap<Db, Map<number, { key: string; front: StoredFront; total: number }>>();
const MAX_CACHED_FRONTS = 64;

async function plottedFront(db: Db, runId: number, verifySweepId: unknown): Promise<{ front: StoredFront; total: number }> {
  let key = 'unverified';
  if (typeof verifySweepId === 'number') {
    const [row] = await db.select({ n: count(), last: max(measurements.id) }).from(measurements).where(eq(measurements.sweepId, verifySweepId));
    key = `${verifySweepId}/${row?.n ?? 0}/${row?.last ?? 0}`;
  }
  let plotted = plottedByDb.get(db);
  if (!plotted) plottedByDb.set(db, (plotted = new Map()));
  const cached = plotted.get(runId);
  if (cached?.key === key) return cached;
  const front = await storedFront(db, runId);
  const entry = { key, front: { ...front, nonDominated: thinByLatency(front.nonDominated) }, total: front.nonDominated.length };
  plotted.delete(runId);
  plotted.set(runId, entry);
  if (plotted.size > MAX_CACHED_FRONTS) plotted.delete(plotted.keys().next().value!);
  return entry;
}

/** The newest front of each live device for a space (and objective, when given). */
export async function latestFronts(db: Db, space: string, objective?: 'accuracy' | 'macs'): Promise<DeviceFront[]> {
  const newest = await db
    .select({ deviceId: searchRuns.deviceId, runId: max(searchRuns.id) })
    .from(searchRuns)
    .where(and(eq(searchRuns.space, space), objective ? eq(searchRuns.objective, objective) : undefined))
    .groupBy(searchRuns.deviceId);
  const live = await db.select({ id: devices.id, name: devices.name, kind: devices.kind }).from(devices).where(isNull(devices.removedAt));
  const byId = new Map(live.map((d) => [d.id, d]));
  const out: DeviceFront[] = [];
  for (const row of newest) {
    const device = byId.get(row.deviceId);
    if (!device || row.runId === null) continue;
    const runId = Number(row.runId);
    const [run] = await db.select({ params: searchRuns.params }).from(searchRuns).where(eq(searchRuns.id, runId));
    const { front, total } = await plottedFront(db, runId, run?.params.verifySweepId);
    out.push({ device: { name: device.name, kind: device.kind }, front, nonDominatedTotal: total });
  }
  return out.sort((a, b) => a.device.name.localeCompare(b.device.name));
}

/** Spaces and objectives that have at least one front, for the page's selectors. */
export async function frontChoices(db: Db): Promise<Array<{ space: string; objective: string; runs: number }>> {
  const rows = await db
    .select({ space: searchRuns.space, objective: searchRuns.objective, runs: count() })
    .from(searchRuns)
    .groupBy(searchRuns.space, searchRuns.objective)
    .orderBy(asc(searchRuns.space), asc(searchRuns.objective));
  return rows.map((r) => ({ ...r, runs: Number(r.runs) }));
}

export interface SubnetOnDevice {
  device: string;
  kind: string;
  n: number;
  /** Median of the stored medians, and the spread of the stored statistics. */
  medianMs: number;
  minMs: number;
  p90Ms: number | null;
  cv: number | null;
  lastAt: string;
}

export interface SubnetDetail {
  subnet: { id: string; space: string; config: SubnetConfig; r: number; macs: number; params: number; createdAt: string };
  devices: SubnetOnDevice[];
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function subnetDetail(db: Db, id: string): Promise<SubnetDetail> {
  const [row] = await db.select().from(subnets).where(eq(subnets.id, id));
  if (!row) throw new NotFoundError(`no subnet ${id}`);
  const rows = await db
    .select({ device: devices.name, kind: devices.kind, medianMs: measurements.medianMs, minMs: measurements.minMs, p90Ms: measurements.p90Ms, cv: measurements.cv, at: measurements.finishedAt })
    .from(measurements)
    .innerJoin(devices, eq(devices.id, measurements.deviceId))
    .where(and(eq(measurements.subnetId, id), eq(measurements.counted, true), sql`${measurements.status} <> 'failed'`))
    .orderBy(asc(measurements.id))
    .limit(10_000);
  const grouped = new Map<string, typeof rows>();
  for (const r of rows) grouped.set(r.device, [...(grouped.get(r.device) ?? []), r]);
  return {
    subnet: { id: row.id, space: row.space, config: row.config, r: row.r, macs: row.macs, params: row.params, createdAt: row.createdAt.toISOString() },
    devices: [...grouped].map(([device, list]) => ({
      device,
      kind: list[0].kind,
      n: list.length,
      medianMs: median(list.map((m) => m.medianMs as number)),
      minMs: Math.min(...list.map((m) => m.minMs ?? (m.medianMs as number))),
      p90Ms: median(list.map((m) => m.p90Ms ?? (m.medianMs as number))),
      cv: median(list.map((m) => m.cv ?? 0)),
      lastAt: list[list.length - 1].at.toISOString(),
    })),
  };
}

export interface SubnetListItem {
  id: string;
  space: string;
  r: number;
  macs: number;
  params: number;
  measurements: number;
  lastAt: string | null;
}

/** Most recently measured subnets (optionally of one space). */
export async function recentSubnets(db: Db, opts: { space?: string; limit?: number } = {}): Promise<SubnetListItem[]> {
  const rows = await db
    .select({ id: subnets.id, space: subnets.space, r: subnets.r, macs: subnets.macs, params: subnets.params, n: count(measurements.id), last: max(measurements.id), lastAt: max(measurements.finishedAt) })
    .from(subnets)
    .innerJoin(measurements, and(eq(measurements.subnetId, subnets.id), eq(measurements.counted, true)))
    .where(opts.space ? eq(subnets.space, opts.space) : undefined)
    .groupBy(subnets.id)
    .orderBy(desc(max(measurements.id)))
    .limit(Math.min(Math.max(1, opts.limit ?? 50), 500));
  return rows.map((r) => ({ id: r.id, space: r.space, r: r.r, macs: r.macs, params: r.params, measurements: Number(r.n), lastAt: r.lastAt ? new Date(r.lastAt as Date | string).toISOString() : null }));
}
