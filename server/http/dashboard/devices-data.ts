/**
 * What the dashboards show of devices: the registry's view of each device plus its active twins
 * (held-out ±10% accuracy) and measurement counts per space; a device's recent measurements and
 * the re-measurements of its anchor subnet over time (drift).
 */
import { and, count, desc, eq, isNotNull, max } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { requireDeviceByName } from '../../../db/queries/devices';
import { measurements } from '../../../db/schema/measurements';
import { subnets } from '../../../db/schema/subnets';
import { twins } from '../../../db/schema/twins';
import { deviceView, type DeviceRegistry, type DeviceView } from '../../registry/registry';

export interface ActiveTwinSummary {
  space: string;
  family: string;
  version: number;
  /** Share of held-out subnets predicted within ±10% / ±5% (null when unknown). */
  within10: number | null;
  within5: number | null;
  /** Held-out subnets the shares were computed on; 0 when they come from cross-validation. */
  heldOut: number;
  basis: 'held-out' | 'cv';
  nMeasurements: number;
  createdAt: string;
}

export interface DeviceCard extends DeviceView {
  activeTwins: ActiveTwinSummary[];
  /** Counted measurements per space (ok and unstable). */
  spaces: Array<{ space: string; count: number; lastAt: string | null }>;
}

export interface RecentMeasurement {
  id: number;
  sweepId: number;
  space: string;
  subnetId: string | null;
  partKey: string | null;
  anchor: boolean;
  status: string;
  error: string | null;
  medianMs: number | null;
  minMs: number | null;
  p90Ms: number | null;
  cv: number | null;
  runs: number | null;
  r: number | null;
  macs: number | null;
  executionProvider: string | null;
  threads: number | null;
  finishedAt: string;
}

export interface AnchorPoint {
  id: number;
  sweepId: number;
  space: string;
  subnetId: string | null;
  at: string;
  medianMs: number;
  minMs: number | null;
  p90Ms: number | null;
  cv: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export async function activeTwinSummaries(db: Db, deviceId?: string): Promise<Map<string, ActiveTwinSummary[]>> {
  const rows = await db
    .select({ deviceId: twins.deviceId, space: twins.space, family: twins.family, version: twins.version, metrics: twins.metrics, n: twins.nMeasurements, createdAt: twins.createdAt })
    .from(twins)
    .where(and(eq(twins.active, true), deviceId ? eq(twins.deviceId, deviceId) : undefined));
  const out = new Map<string, ActiveTwinSummary[]>();
  for (const r of rows) {
    const summary: ActiveTwinSummary = {
      space: r.space,
      family: r.family,
      version: r.version,
      within10: num(r.metrics.within10),
      within5: num(r.metrics.within5),
      heldOut: num(r.metrics.heldOut) ?? 0,
      basis: r.metrics.basis === 'cv' ? 'cv' : 'held-out',
      nMeasurements: r.n,
      createdAt: r.createdAt.toISOString(),
    };
    out.set(r.deviceId, [...(out.get(r.deviceId) ?? []), summary].sort((a, b) => a.space.localeCompare(b.space)));
  }
  return out;
}

async function spaceCounts(db: Db, deviceId?: string): Promise<Map<string, DeviceCard['spaces']>> {
  const rows = await db
    .select({ deviceId: measurements.deviceId, space: measurements.space, n: count(), lastAt: max(measurements.createdAt) })
    .from(measurements)
    .where(and(eq(measurements.counted, true), deviceId ? eq(measurements.deviceId, deviceId) : undefined))
    .groupBy(measurements.deviceId, measurements.space);
  const out = new Map<string, DeviceCard['spaces']>();
  for (const r of rows) {
    const lastAt = r.lastAt ? new Date(r.lastAt as Date | string).toISOString() : null;
    out.set(r.deviceId, [...(out.get(r.deviceId) ?? []), { space: r.space, count: Number(r.n), lastAt }].sort((a, b) => a.space.localeCompare(b.space)));
  }
  return out;
}

/** Every live device with its twins and per-space counts, by name. */
export async function deviceCards(db: Db, registry: DeviceRegistry): Promise<DeviceCard[]> {
  const [devices, twinsBy, countsBy] = await Promise.all([registry.list(), activeTwinSummaries(db), spaceCounts(db)]);
  return devices.map((d) => ({ ...d, activeTwins: twinsBy.get(d.id) ?? [], spaces: countsBy.get(d.id) ?? [] }));
}

export interface DeviceDetail {
  device: DeviceCard;
  recent: RecentMeasurement[];
  anchors: AnchorPoint[];
}

const RECENT_LIMIT = 200;
const ANCHOR_LIMIT = 2000;

/** One device: its card, its last measurements (newest first) and its anchor series (oldest first). */
export async function deviceDetail(db: Db, registry: DeviceRegistry, name: string): Promise<DeviceDetail> {
  const row = await requireDeviceByName(db, name);
  const view = await registry.get(name).catch(() => deviceView(row));
  const [twinsBy, countsBy] = await Promise.all([activeTwinSummaries(db, row.id), spaceCounts(db, row.id)]);
  const recentRows = await db
    .select({
      id: measurements.id,
      sweepId: measurements.sweepId,
      space: measurements.space,
      subnetId: measurements.subnetId,
      partKey: measurements.partKey,
      anchor: measurements.anchor,
      status: measurements.status,
      error: measurements.error,
      medianMs: measurements.medianMs,
      minMs: measurements.minMs,
      p90Ms: measurements.p90Ms,
      cv: measurements.cv,
      runs: measurements.runs,
      provenance: measurements.provenance,
      finishedAt: measurements.finishedAt,
      r: subnets.r,
      macs: subnets.macs,
    })
    .from(measurements)
    .leftJoin(subnets, eq(subnets.id, measurements.subnetId))
    .where(and(eq(measurements.deviceId, row.id), eq(measurements.counted, true)))
    .orderBy(desc(measurements.id))
    .limit(RECENT_LIMIT);
  const anchorRows = await db
    .select({ id: measurements.id, sweepId: measurements.sweepId, space: measurements.space, subnetId: measurements.subnetId, at: measurements.finishedAt, medianMs: measurements.medianMs, minMs: measurements.minMs, p90Ms: measurements.p90Ms, cv: measurements.cv })
    .from(measurements)
    .where(and(eq(measurements.deviceId, row.id), eq(measurements.anchor, true), eq(measurements.counted, true), isNotNull(measurements.medianMs)))
    .orderBy(desc(measurements.id))
    .limit(ANCHOR_LIMIT);
  return {
    device: { ...view, activeTwins: twinsBy.get(row.id) ?? [], spaces: countsBy.get(row.id) ?? [] },
    recent: recentRows.map(({ provenance, finishedAt, ...m }) => ({
      ...m,
      executionProvider: provenance?.executionProvider ?? null,
      threads: provenance?.threads ?? null,
      finishedAt: finishedAt.toISOString(),
    })),
    anchors: anchorRows
      .reverse()
      .map(({ at, medianMs, ...a }) => ({ ...a, at: at.toISOString(), medianMs: medianMs as number })),
  };
}
