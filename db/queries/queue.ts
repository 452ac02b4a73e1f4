/**
 * The job queue. Leasing takes the oldest eligible queued job of a device with FOR UPDATE SKIP
 * LOCKED, sets a deadline and increments the attempt. Same-host exclusion: the lease transaction
 * first takes an advisory lock named after the device's host key, then checks that no device of
 * that host holds a leased job; every lease of that host serializes on the lock (across
 * coordinators too), so two devices of one host can never both hold a lease.
 */
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import { NotFoundError, ValidationError } from '../../core/errors';
import type { Db } from '../client';
import { devices } from '../schema/devices';
import { jobs, type JobRow } from '../schema/jobs';
import { parts, subnets, type PartRow, type SubnetRow } from '../schema/subnets';
import { sweeps, type SweepRow } from '../schema/sweeps';
import { withDbErrors } from '../errors';
import { settleLeased, type SettledJob } from './job-settle';
import { rowsOf } from './raw';
import { nowSql, plusMs } from './time';

/** Longest lease one call may ask for (a day): a lost agent must not hold a job for ever. */
export const MAX_LEASE_MS = 24 * 3600 * 1000;

function checkLeaseMs(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs < 1 || leaseMs > MAX_LEASE_MS) {
    throw new ValidationError(`lease duration must be between 1 and ${MAX_LEASE_MS} ms, got ${leaseMs}`);
  }
}

/** Job ids travel as strings in the protocol (`String(job.id)`); this reads one back. */
export function parseJobId(text: string): number {
  const id = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw new ValidationError(`job id "${text.slice(0, 100)}" is not a valid job id`);
  return id;
}

export function hostLockName(hostKey: string): string {
  return `ofa-farm:host:${hostKey}`;
}

export interface LeaseRequest {
  deviceId: string;
  /** The coordinator instance taking the lease. */
  ownerId: string;
  leaseMs: number;
  now?: Date;
}

/**
 * Leases the next job for a device, or returns null when there is none eligible, the device is
 * removed, or its host (this device included) already holds a leased job.
 */
export async function leaseNextJob(db: Db, req: LeaseRequest): Promise<JobRow | null> {
  checkLeaseMs(req.leaseMs);
  const now = nowSql(req.now);
  // Four round trips (this runs for every dispatch): the device with its host's lock, then one
  // UPDATE whose sub-select checks the host is idle and picks the job FOR UPDATE SKIP LOCKED.
  return db.transaction(async (tx) => {
    const [device] = rowsOf<{ host_key: string }>(
      await tx.execute(
        sql`select ${devices.hostKey} as host_key, pg_advisory_xact_lock(hashtextextended(${hostLockName('')} || ${devices.hostKey}, 0)) as locked
          from ${devices} where ${devices.id} = ${req.deviceId} and ${devices.removedAt} is null`,
      ),
    );
    if (!device) return null;
    const hostBusy = sql`exists (select 1 from ${jobs} as j2 join ${devices} as d2 on d2.id = j2.device_id where j2.status = 'leased' and d2.host_key = ${device.host_key})`;
    const next = tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.deviceId, req.deviceId), eq(jobs.status, 'queued'), lte(jobs.notBefore, now), sql`not ${hostBusy}`))
      .orderBy(asc(jobs.notBefore), asc(jobs.id))
      .limit(1)
      .for('update', { skipLocked: true });
    const [leased] = await tx
      .update(jobs)
      .set({
        status: 'leased',
        attempt: sql`${jobs.attempt} + 1`,
        leaseOwner: req.ownerId,
        leasedAt: now,
        leaseExpiresAt: plusMs(now, req.leaseMs),
        updatedAt: now,
      })
      .where(sql`${jobs.id} = (${next})`)
      .returning();
    return leased ?? null;
  });
}

export interface LeaseRef {
  jobId: number;
  attempt: number;
  /** When given, the lease must belong to this device. */
  deviceId?: string;
}

/**
 * Pushes the deadline of a current lease to now + leaseMs (and records the coordinator now
 * serving it). Null when that attempt no longer holds the lease.
 */
export async function extendLease(db: Db, ref: LeaseRef & { ownerId: string; leaseMs: number; now?: Date }): Promise<JobRow | null> {
  checkLeaseMs(ref.leaseMs);
  const now = nowSql(ref.now);
  const [row] = await db
    .update(jobs)
    .set({ leaseExpiresAt: plusMs(now, ref.leaseMs), leaseOwner: ref.ownerId, updatedAt: now })
    .where(and(eq(jobs.id, ref.jobId), eq(jobs.attempt, ref.attempt), eq(jobs.status, 'leased'), ref.deviceId ? eq(jobs.deviceId, ref.deviceId) : undefined))
    .returning();
  return row ?? null;
}

/**
 * Gives a lease back without a result: the job returns to the queue (or ends cancelled when its
 * sweep was cancelled, or failed when this was its last charged attempt). `charge: false` (an
 * agent shutting down cleanly) does not count against max attempts. Null when that attempt no
 * longer holds the lease.
 */
export async function releaseJob(db: Db, ref: LeaseRef & { reason: string; charge?: boolean; now?: Date }): Promise<SettledJob | null> {
  const now = nowSql(ref.now);
  return db.transaction(async (tx) => {
    const settled = await settleLeased(
      tx,
      and(eq(jobs.id, ref.jobId), eq(jobs.attempt, ref.attempt), ref.deviceId ? eq(jobs.deviceId, ref.deviceId) : undefined)!,
      { reason: ref.reason.slice(0, 4000), charge: ref.charge ?? true, now },
    );
    return settled[0] ?? null;
  });
}

/**
 * Returns jobs whose lease deadline has passed to the queue, or fails them with the reason after
 * their last attempt (cancelled when their sweep was cancelled). Handles at most `limit` jobs per
 * call (call again while it returns `limit` jobs); jobs another coordinator is expiring are skipped.
 */
export async function expireLeases(db: Db, opts: { now?: Date; limit?: number } = {}): Promise<SettledJob[]> {
  const now = nowSql(opts.now);
  const limit = Math.min(Math.max(1, opts.limit ?? 500), 10_000);
  return db.transaction((tx) =>
    settleLeased(tx, lte(jobs.leaseExpiresAt, now), { reason: 'lease expired before a result arrived', charge: true, now, limit, skipLocked: true }),
  );
}

export async function getJob(db: Db, id: number): Promise<JobRow | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null;
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  return row ?? null;
}

export interface JobContext {
  job: JobRow;
  sweep: SweepRow;
  subnet: SubnetRow | null;
  part: PartRow | null;
}

/** A job with what a job frame needs: its sweep (settings) and its subnet config or part spec. */
export async function getJobContext(db: Db, id: number): Promise<JobContext | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null;
  const [row] = await db
    .select({ job: jobs, sweep: sweeps, subnet: subnets, part: parts })
    .from(jobs)
    .innerJoin(sweeps, eq(sweeps.id, jobs.sweepId))
    .leftJoin(subnets, eq(subnets.id, jobs.subnetId))
    .leftJoin(parts, eq(parts.key, jobs.partKey))
    .where(eq(jobs.id, id));
  return row ?? null;
}

/** Records the model built for a job (and for every other job of the same subnet in its sweep). */
export async function setJobArtifact(db: Db, jobId: number, sha256: string): Promise<JobRow> {
  const job = await getJob(db, jobId);
  if (!job) throw new NotFoundError(`no job ${jobId}`);
  await setSweepArtifact(db, job, sha256);
  return (await getJob(db, jobId))!;
}

/** Like setJobArtifact for a job already at hand: one statement (dispatch calls it for every new sweep's subnet). */
export async function setSweepArtifact(db: Db, job: Pick<JobRow, 'sweepId' | 'subnetId' | 'partKey'>, sha256: string): Promise<void> {
  const target = job.subnetId ? eq(jobs.subnetId, job.subnetId) : eq(jobs.partKey, job.partKey!);
  await withDbErrors('job artifact', () =>
    db.update(jobs).set({ artifactSha256: sha256 }).where(and(eq(jobs.sweepId, job.sweepId), target)),
  );
}

/** Leased jobs, of one device or all (for a coordinator restoring state, or dashboards). */
export async function listLeasedJobs(db: Db, opts: { deviceId?: string; limit?: number } = {}): Promise<JobRow[]> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.status, 'leased'), opts.deviceId ? eq(jobs.deviceId, opts.deviceId) : undefined))
    .orderBy(asc(jobs.id))
    .limit(Math.min(Math.max(1, opts.limit ?? 1000), 100_000));
}
