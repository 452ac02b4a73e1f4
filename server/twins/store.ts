/**
 * Twins in the database: a device's measured subnets and part table read from `measurements`,
 * each refit stored as one version (every family kept with its metrics, the CV winner active),
 * and the active twins read back as LatencyModels for the search.
 */
import { and, desc, eq, inArray, isNotNull, ne } from 'drizzle-orm';
import type { SubnetConfig } from '../../core/config';
import type { SpaceDef } from '../../core/space';
import { SPACES, isSpaceName } from '../../core/space';
import type { Db } from '../../db/client';
import { measurements } from '../../db/schema/measurements';
import { subnets } from '../../db/schema/subnets';
import { twins, type TwinMetrics as StoredTwinMetrics, type TwinRow } from '../../db/schema/twins';
import type { LatencySample } from './families';
import { fitTwins, type FamilyReport, type TwinFitReport, type TwinFitResult } from './fit';
import type { RemeasuredSample } from './repeatability';
import { LatencyTable } from './table';
import { loadTwin, type LatencyTwin } from './twin';

/** Statistics the database stores per measurement that a twin can model. */
export const STORED_STATISTICS = ['median', 'min'] as const;
export type StoredStatistic = (typeof STORED_STATISTICS)[number];

/** Fewest measured subnets before a device gets a twin (transfer needs a handful, others more). */
export const MIN_TWIN_SAMPLES = 5;

const column = (statistic: StoredStatistic) => (statistic === 'min' ? measurements.minMs : measurements.medianMs);

/** A device's counted ok and unstable results in a space. */
const countedResults = (deviceId: string, space: SpaceDef) =>
  and(eq(measurements.deviceId, deviceId), eq(measurements.space, space.name), eq(measurements.counted, true), inArray(measurements.status, ['ok', 'unstable']));

/** Measured subnets of a device (ok and unstable results, counted ones), one row per measurement. */
export async function deviceSamples(db: Db, deviceId: string, space: SpaceDef, statistic: StoredStatistic = 'median'): Promise<LatencySample[]> {
  const rows = await db
    .select({ config: subnets.config, ms: column(statistic) })
    .from(measurements)
    .innerJoin(subnets, eq(subnets.id, measurements.subnetId))
    .where(countedResults(deviceId, space));
  return rows.filter((r) => r.ms !== null && r.ms > 0).map((r) => ({ config: r.config as SubnetConfig, ms: r.ms as number }));
}

/** Every counted whole-subnet measurement of a device with its time, for the noise ceiling. */
export async function deviceRemeasurements(db: Db, deviceId: string, space: SpaceDef): Promise<RemeasuredSample[]> {
  const rows = await db
    .select({ subnetId: measurements.subnetId, ms: measurements.medianMs, at: measurements.finishedAt })
    .from(measurements)
    .where(and(countedResults(deviceId, space), isNotNull(measurements.subnetId)));
  return rows.filter((r) => r.subnetId && r.ms !== null && r.ms > 0).map((r) => ({ subnetId: r.subnetId as string, ms: r.ms as number, at: new Date(r.at).getTime() }));
}

/** The device's part table from its blocks sweeps (median over repeats), or null without one. */
export async function deviceTable(db: Db, deviceId: string, space: SpaceDef, statistic: StoredStatistic = 'median'): Promise<LatencyTable | null> {
  const rows = await db
    .select({ key: measurements.partKey, ms: column(statistic) })
    .from(measurements)
    .where(and(countedResults(deviceId, space), isNotNull(measurements.partKey)));
  const byKey = new Map<string, number[]>();
  for (const row of rows) if (row.key && row.ms !== null && row.ms > 0) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row.ms]);
  if (byKey.size === 0) return null;
  const entries = new Map([...byKey].map(([key, values]) => [key, values.sort((a, b) => a - b)[Math.floor(values.length / 2)]]));
  return new LatencyTable(space, entries);
}

export async function activeTwinRow(db: Db, deviceId: string, space: string): Promise<TwinRow | null> {
  const [row] = await db.select().from(twins).where(and(eq(twins.deviceId, deviceId), eq(twins.space, space), eq(twins.active, true)));
  return row ?? null;
}

export async function loadActiveTwin(db: Db, deviceId: string, space: string): Promise<{ row: TwinRow; twin: LatencyTwin } | null> {
  const row = await activeTwinRow(db, deviceId, space);
  return row ? { row, twin: loadTwin(row.model) } : null;
}

/** Active twins of every other device for a space (transfer sources). */
export async function otherActiveTwins(db: Db, deviceId: string, space: string): Promise<LatencyTwin[]> {
  const rows = await db.select().from(twins).where(and(ne(twins.deviceId, deviceId), eq(twins.space, space), eq(twins.active, true)));
  // A transfer twin is not used as a source: sources must stand on their own measurements.
  return rows.filter((r) => r.family !== 'transfer').map((r) => loadTwin(r.model));
}

export async function listTwinVersions(db: Db, deviceId: string, space?: string): Promise<TwinRow[]> {
  return db
    .select()
    .from(twins)
    .where(and(eq(twins.deviceId, deviceId), space ? eq(twins.space, space) : undefined))
    .orderBy(desc(twins.version), twins.family);
}

function storedMetrics(family: FamilyReport, report: TwinFitReport): StoredTwinMetrics {
  const basis = family.heldOut ?? family.cv!;
  return {
    within5: basis.within5,
    within10: basis.within10,
    rmspe: basis.rmspe,
    kendallTau: basis.kendallTau,
    heldOut: family.heldOut?.n ?? 0,
    basis: family.heldOut ? 'held-out' : 'cv',
    cv: family.cv,
    statistic: report.statistic,
    counts: report.counts,
    heldOutPoints: family.heldOutPoints,
    learningCurve: report.learningCurve
      .filter((p) => p.family === family.family && p.metrics)
      .map((p) => ({ n: p.n, within5: p.metrics!.within5, within10: p.metrics!.within10, rmspe: p.metrics!.rmspe, kendallTau: p.metrics!.kendallTau })),
  };
}

/** Stores every fitted family as the next version and makes the CV winner the active twin. */
export async function saveTwinFit(db: Db, deviceId: string, result: TwinFitResult): Promise<{ version: number; rows: TwinRow[] }> {
  const space = result.report.space;
  return db.transaction(async (tx) => {
    const [last] = await tx.select({ version: twins.version }).from(twins).where(and(eq(twins.deviceId, deviceId), eq(twins.space, space))).orderBy(desc(twins.version)).limit(1);
    const version = (last?.version ?? 0) + 1;
    await tx.update(twins).set({ active: false }).where(and(eq(twins.deviceId, deviceId), eq(twins.space, space), eq(twins.active, true)));
    const rows = await tx
      .insert(twins)
      .values(
        result.twins.map((twin) => {
          const family = result.report.families.find((f) => f.family === twin.family)!;
          return {
            deviceId,
            space,
            family: twin.family,
            version,
            active: twin.family === result.report.active,
            metrics: storedMetrics(family, result.report),
            model: twin.toJSON() as unknown as Record<string, unknown>,
            params: { twinVersion: twin.version, sources: twin.toJSON().sources.map((s) => s.device) },
            nMeasurements: result.report.counts.samples,
          };
        }),
      )
      .returning();
    return { version, rows };
  });
}

export interface RefitOptions {
  deviceId: string;
  deviceName: string;
  space: string;
  statistic?: StoredStatistic;
  seed?: number;
  onProgress?: (message: string) => void;
}

/**
 * Fits and stores a new twin version for a device and space from everything it has measured;
 * null when it has fewer than MIN_TWIN_SAMPLES measured subnets.
 */
export async function refitDeviceTwins(db: Db, opts: RefitOptions): Promise<{ version: number; report: TwinFitReport } | null> {
  if (!isSpaceName(opts.space)) return null;
  const space = SPACES[opts.space];
  const statistic = opts.statistic ?? 'median';
  const samples = await deviceSamples(db, opts.deviceId, space, statistic);
  if (samples.length < MIN_TWIN_SAMPLES) return null;
  const table = await deviceTable(db, opts.deviceId, space, statistic);
  const sources = await otherActiveTwins(db, opts.deviceId, space.name);
  const result = fitTwins({ space, device: opts.deviceName, samples, statistic, table, sources, seed: opts.seed ?? 0, onProgress: opts.onProgress });
  const { version } = await saveTwinFit(db, opts.deviceId, result);
  return { version, report: result.report };
}
