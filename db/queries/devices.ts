/**
 * Device registry: register (token hash only), authenticate by token hash, liveness (hello,
 * heartbeats, reaper), listing with measurement counts, and removal that keeps measurements.
 */
import { and, asc, count, eq, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors';
import { AGENT_KINDS, type AgentKind, type DeviceDescription } from '../../core/protocol';
import type { Db } from '../client';
import { isUniqueViolation, mapDbError } from '../errors';
import { devices, type DeviceRow } from '../schema/devices';
import { jobs } from '../schema/jobs';
import { measurements } from '../schema/measurements';
import { sweeps } from '../schema/sweeps';
import { countFinished, settleLeased, type SettledJob } from './job-settle';
import { nowSql } from './time';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const HOST_RE = /^[\x21-\x7e]{1,200}$/;
const HASH_RE = /^[0-9a-f]{64}$/;

export interface NewDevice {
  name: string;
  kind: AgentKind;
  /** Same-host key; devices sharing it never measure at the same time. */
  host?: string | null;
  /** sha256 hex of the device token (db/secrets.ts hashToken). */
  tokenHash: string;
  enrolledWith?: string | null;
}

export function checkDeviceName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new ValidationError(`device name "${name.slice(0, 120)}" is invalid: use 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
}

function checkNewDevice(input: NewDevice): void {
  checkDeviceName(input.name);
  if (!(AGENT_KINDS as readonly string[]).includes(input.kind)) {
    throw new ValidationError(`device kind "${input.kind}" is invalid; one of: ${AGENT_KINDS.join(', ')}`);
  }
  if (input.host != null && !HOST_RE.test(input.host)) throw new ValidationError('device host must be 1-200 printable characters without spaces');
  if (!HASH_RE.test(input.tokenHash)) throw new ValidationError('device token hash must be 64 lowercase hex digits (sha256)');
}

/** Registers a device. A live device with the same name is a ConflictError. */
export async function registerDevice(db: Db, input: NewDevice): Promise<DeviceRow> {
  checkNewDevice(input);
  try {
    const [row] = await db
      .insert(devices)
      .values({ name: input.name, kind: input.kind, host: input.host ?? null, tokenHash: input.tokenHash, enrolledWith: input.enrolledWith ?? null })
      .returning();
    return row;
  } catch (error) {
    if (isUniqueViolation(error, 'devices_name_live_uq')) throw new ConflictError(`device "${input.name}" already exists`);
    if (isUniqueViolation(error, 'devices_token_hash_uq')) throw new ConflictError('that device token is already in use');
    throw mapDbError(error, 'device');
  }
}

/** The live (not removed) device holding this token hash, or null. */
export async function findDeviceByTokenHash(db: Db, tokenHash: string): Promise<DeviceRow | null> {
  if (!HASH_RE.test(tokenHash)) return null;
  const [row] = await db
    .select()
    .from(devices)
    .where(and(eq(devices.tokenHash, tokenHash), isNull(devices.removedAt)));
  return row ?? null;
}

export async function getDevice(db: Db, id: string): Promise<DeviceRow | null> {
  const [row] = await db.select().from(devices).where(eq(devices.id, id));
  return row ?? null;
}

/** The live device with this name, or null. */
export async function getDeviceByName(db: Db, name: string): Promise<DeviceRow | null> {
  const [row] = await db
    .select()
    .from(devices)
    .where(and(eq(devices.name, name), isNull(devices.removedAt)));
  return row ?? null;
}

/** Like getDeviceByName, but a missing device is a NotFoundError naming it. */
export async function requireDeviceByName(db: Db, name: string): Promise<DeviceRow> {
  const row = await getDeviceByName(db, name);
  if (!row) throw new NotFoundError(`no device named "${name}"`);
  return row;
}

/** After a valid hello: online, last seen now, with what the agent said about itself. */
export async function markDeviceConnected(
  db: Db,
  id: string,
  hello: { description: DeviceDescription; agentVersion: string; reportedHost?: string | null; now?: Date },
): Promise<DeviceRow> {
  const now = nowSql(hello.now);
  const [row] = await db
    .update(devices)
    .set({
      status: 'online',
      statusSince: sql`(case when ${devices.status} = 'online' then ${devices.statusSince} else ${now} end)`,
      lastSeenAt: now,
      description: hello.description,
      agentVersion: hello.agentVersion,
      reportedHost: hello.reportedHost ?? null,
    })
    .where(and(eq(devices.id, id), isNull(devices.removedAt)))
    .returning();
  if (!row) throw new NotFoundError(`device ${id} does not exist or was removed`);
  return row;
}

/** A heartbeat: last seen now; status online or busy (status_since changes only with the status). */
export async function touchDevice(db: Db, id: string, opts: { status?: 'online' | 'busy'; now?: Date } = {}): Promise<DeviceRow | null> {
  const now = nowSql(opts.now);
  const status = opts.status ?? 'online';
  const [row] = await db
    .update(devices)
    .set({
      status,
      statusSince: sql`(case when ${devices.status} = ${status} then ${devices.statusSince} else ${now} end)`,
      lastSeenAt: now,
    })
    .where(and(eq(devices.id, id), isNull(devices.removedAt)))
    .returning();
  return row ?? null;
}

/** Heartbeats of many devices at once (one statement): last seen now, with the given status. */
export async function touchDevices(db: Db, ids: readonly string[], opts: { status: 'online' | 'busy'; now?: Date }): Promise<number> {
  if (ids.length === 0) return 0;
  const now = nowSql(opts.now);
  const rows = await db
    .update(devices)
    .set({
      status: opts.status,
      statusSince: sql`(case when ${devices.status} = ${opts.status} then ${devices.statusSince} else ${now} end)`,
      lastSeenAt: now,
    })
    .where(and(inArray(devices.id, ids as string[]), isNull(devices.removedAt)))
    .returning({ id: devices.id });
  return rows.length;
}

/**
 * The agent is gone (disconnected, or silent past the timeout): offline, and its leased jobs go
 * back to the queue (charged as a failed attempt). Returns the released jobs.
 */
export async function markDeviceOffline(db: Db, id: string, opts: { reason?: string; now?: Date } = {}): Promise<SettledJob[]> {
  const now = nowSql(opts.now);
  return db.transaction(async (tx) => {
    const released = await settleLeased(tx, eq(jobs.deviceId, id), { reason: opts.reason ?? 'device went offline', charge: true, now });
    await tx
      .update(devices)
      .set({ status: 'offline', statusSince: sql`(case when ${devices.status} = 'offline' then ${devices.statusSince} else ${now} end)` })
      .where(eq(devices.id, id));
    return released;
  });
}

/**
 * The reaper: every live device not seen since `staleBefore` and not yet offline goes offline,
 * and its leased jobs return to the queue. Returns the devices and the jobs released.
 */
export async function reapDevices(db: Db, opts: { staleBefore: Date; now?: Date }): Promise<Array<{ device: DeviceRow; released: SettledJob[] }>> {
  const stale = await db
    .select({ id: devices.id })
    .from(devices)
    .where(and(isNull(devices.removedAt), ne(devices.status, 'offline'), lt(sql`coalesce(${devices.lastSeenAt}, ${devices.createdAt})`, opts.staleBefore.toISOString())))
    .orderBy(asc(devices.id))
    .limit(10_000);
  const out: Array<{ device: DeviceRow; released: SettledJob[] }> = [];
  for (const { id } of stale) {
    const released = await markDeviceOffline(db, id, { reason: 'device stopped sending heartbeats', now: opts.now });
    const device = await getDevice(db, id);
    if (device) out.push({ device, released });
  }
  return out;
}

export interface DeviceListing extends DeviceRow {
  /** Counted measurements with status ok or unstable. */
  measurementCount: number;
  /** Counted measurements with status failed. */
  failedCount: number;
}

/** Live devices (or all with includeRemoved), by name, with their measurement counts. */
export async function listDevices(db: Db, opts: { includeRemoved?: boolean } = {}): Promise<DeviceListing[]> {
  const counts = db
    .select({
      deviceId: measurements.deviceId,
      ok: sql<number>`count(*) filter (where ${measurements.status} <> 'failed')`.mapWith(Number).as('ok'),
      failed: sql<number>`count(*) filter (where ${measurements.status} = 'failed')`.mapWith(Number).as('failed'),
    })
    .from(measurements)
    .where(eq(measurements.counted, true))
    .groupBy(measurements.deviceId)
    .as('counts');
  const rows = await db
    .select({ device: devices, ok: counts.ok, failed: counts.failed })
    .from(devices)
    .leftJoin(counts, eq(counts.deviceId, devices.id))
    .where(opts.includeRemoved ? undefined : isNull(devices.removedAt))
    .orderBy(asc(devices.name), asc(devices.createdAt));
  return rows.map((r) => ({ ...r.device, measurementCount: Number(r.ok ?? 0), failedCount: Number(r.failed ?? 0) }));
}

/**
 * Removes a device: its token stops working, its unfinished sweeps are cancelled (queued and
 * leased jobs alike), and the row stays so its measurements and twins keep their device. The
 * name becomes free for a new device.
 */
export async function removeDevice(db: Db, id: string, opts: { now?: Date } = {}): Promise<{ device: DeviceRow; cancelledJobs: number; cancelledSweeps: number }> {
  const now = nowSql(opts.now);
  return db.transaction(async (tx) => {
    const open = await tx
      .select({ id: jobs.id, sweepId: jobs.sweepId })
      .from(jobs)
      .where(and(eq(jobs.deviceId, id), inArray(jobs.status, ['queued', 'leased'])))
      .orderBy(asc(jobs.id))
      .for('update');
    const reason = 'device removed';
    if (open.length > 0) {
      await tx
        .update(jobs)
        .set({ status: 'cancelled', lastError: reason, leaseOwner: null, leaseExpiresAt: null, finishedAt: now, updatedAt: now })
        .where(inArray(jobs.id, open.map((j) => j.id)));
    }
    // Cancel the sweeps before counting their jobs finished, so none of them ends as "done".
    const cancelled = await tx
      .update(sweeps)
      .set({ status: 'cancelled', cancelReason: reason })
      .where(and(eq(sweeps.deviceId, id), eq(sweeps.status, 'active')))
      .returning({ id: sweeps.id });
    await countFinished(tx, open, now);
    const [device] = await tx
      .update(devices)
      .set({ removedAt: now, status: 'offline', statusSince: now })
      .where(and(eq(devices.id, id), isNull(devices.removedAt)))
      .returning();
    if (!device) throw new NotFoundError(`device ${id} does not exist or was already removed`);
    return { device, cancelledJobs: open.length, cancelledSweeps: cancelled.length };
  });
}

/** How many live devices there are (cheap, for dashboards). */
export async function countDevices(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(devices).where(isNull(devices.removedAt));
  return row?.n ?? 0;
}
