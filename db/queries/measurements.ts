/**
 * Reading measurements: per device (optionally one space, subnet, sweep or status) and per
 * subnet, with the subnet's resolution and MACs joined for tables and twins. Only counted rows
 * unless asked; raw samples only when asked (they can be large).
 */
import { and, asc, eq, getTableColumns, gt, inArray } from 'drizzle-orm';
import { ValidationError } from '../../core/errors';
import type { MeasurementStatus } from '../../core/measurement';
import type { Db } from '../client';
import { measurements, type MeasurementRow } from '../schema/measurements';
import { subnets } from '../schema/subnets';

export const MAX_MEASUREMENTS_PAGE = 100_000;

export interface MeasurementQuery {
  deviceId?: string;
  space?: string;
  subnetId?: string;
  sweepId?: number;
  statuses?: readonly MeasurementStatus[];
  /** Include late results (counted = false). Default false. */
  includeUncounted?: boolean;
  /** Include the raw samples (default false: samplesMs is []). */
  withSamples?: boolean;
  /** Keyset pagination: rows with id > afterId, ascending. */
  afterId?: number;
  limit?: number;
}

export interface MeasurementView extends MeasurementRow {
  /** Resolution and MACs of the subnet (null for parts). */
  r: number | null;
  macs: number | null;
}

const { samplesMs: _samples, ...columnsWithoutSamples } = getTableColumns(measurements);

export async function listMeasurements(db: Db, q: MeasurementQuery): Promise<MeasurementView[]> {
  if (!q.deviceId && !q.subnetId && q.sweepId === undefined) throw new ValidationError('measurement query needs a device, a subnet or a sweep');
  const limit = Math.min(Math.max(1, q.limit ?? 10_000), MAX_MEASUREMENTS_PAGE);
  const columns = q.withSamples ? getTableColumns(measurements) : columnsWithoutSamples;
  const rows = await db
    .select({ ...columns, r: subnets.r, macs: subnets.macs })
    .from(measurements)
    .leftJoin(subnets, eq(subnets.id, measurements.subnetId))
    .where(
      and(
        q.deviceId ? eq(measurements.deviceId, q.deviceId) : undefined,
        q.space ? eq(measurements.space, q.space) : undefined,
        q.subnetId ? eq(measurements.subnetId, q.subnetId) : undefined,
        q.sweepId !== undefined ? eq(measurements.sweepId, q.sweepId) : undefined,
        q.statuses?.length ? inArray(measurements.status, q.statuses as MeasurementStatus[]) : undefined,
        q.includeUncounted ? undefined : eq(measurements.counted, true),
        q.afterId !== undefined ? gt(measurements.id, q.afterId) : undefined,
      ),
    )
    .orderBy(asc(measurements.id))
    .limit(limit);
  return rows.map((row) => ({ samplesMs: [], ...row }) as MeasurementView);
}

/** Every measurement of one subnet (all devices unless one is given), oldest first. */
export async function measurementsForSubnet(db: Db, subnetId: string, opts: { deviceId?: string; includeUncounted?: boolean; limit?: number } = {}): Promise<MeasurementView[]> {
  return listMeasurements(db, { subnetId, deviceId: opts.deviceId, includeUncounted: opts.includeUncounted, limit: opts.limit });
}
