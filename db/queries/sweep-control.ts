/**
 * Cancelling sweeps and spawning the next run of repeating sweeps. Safe with several
 * coordinators: row locks order the work (jobs before sweeps) and a unique index allows one
 * successor per sweep.
 */
import { and, asc, count, eq, gt, inArray, isNotNull, lte, ne, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { ConflictError, NotFoundError } from '../../core/errors';
import type { Db } from '../client';
import { jobs, type JobRow } from '../schema/jobs';
import { sweeps, type SweepRow } from '../schema/sweeps';
import { countFinished } from './job-settle';
import { rowsOf } from './raw';
import { nowSql } from './time';

export interface CancelResult {
  sweep: SweepRow;
  /** Queued jobs now cancelled. */
  cancelledJobs: number;
  /** Jobs being measured, now marked for cancel: send their agents a `cancel` frame. They end
   * cancelled when released or expired, or done if their result still arrives. */
  leasedJobs: JobRow[];
  /** Not yet started repeats of this sweep, cancelled with it. */
  cancelledSuccessors: number[];
}

/**
 * Cancels a sweep (idempotent for a cancelled one; a ConflictError for a finished one) and its
 * not yet started successor, so a repeating schedule stops.
 */
export async function cancelSweep(db: Db, sweepId: number, opts: { reason?: string; now?: Date } = {}): Promise<CancelResult> {
  const reason = (opts.reason ?? 'cancelled by user').slice(0, 2000);
  const now = nowSql(opts.now);
  return db.transaction(async (tx) => {
    const first = await cancelOne(tx, sweepId, reason, now);
    const cancelledSuccessors: number[] = [];
    let current = sweepId;
    for (let depth = 0; depth < 10; depth++) {
      const [next] = await tx
        .select({ id: sweeps.id })
        .from(sweeps)
        .where(and(eq(sweeps.previousSweepId, current), eq(sweeps.status, 'active'), gt(sweeps.startAt, now)));
      if (!next) break;
      await cancelOne(tx, next.id, `${reason} (repeat of sweep ${sweepId})`, now);
      cancelledSuccessors.push(next.id);
      current = next.id;
    }
    return { ...first, cancelledSuccessors };
  });
}

async function cancelOne(tx: Db, sweepId: number, reason: string, now: ReturnType<typeof nowSql>): Promise<Omit<CancelResult, 'cancelledSuccessors'>> {
  const open = await tx
    .select({ id: jobs.id, status: jobs.status, sweepId: jobs.sweepId })
    .from(jobs)
    .where(and(eq(jobs.sweepId, sweepId), inArray(jobs.status, ['queued', 'leased'])))
    .orderBy(asc(jobs.id))
    .for('update');
  const [sweep] = await tx.select().from(sweeps).where(eq(sweeps.id, sweepId)).for('update');
  if (!sweep) throw new NotFoundError(`no sweep ${sweepId}`);
  if (sweep.status === 'done') throw new ConflictError(`sweep ${sweepId} is already done; nothing to cancel`);
  if (sweep.status === 'cancelled') {
    const leasedJobs = await tx.select().from(jobs).where(and(eq(jobs.sweepId, sweepId), eq(jobs.status, 'leased')));
    return { sweep, cancelledJobs: 0, leasedJobs };
  }
  await tx.update(sweeps).set({ status: 'cancelled', cancelReason: reason }).where(eq(sweeps.id, sweepId));
  const queued = open.filter((j) => j.status === 'queued');
  if (queued.length > 0) {
    await tx
      .update(jobs)
      .set({ status: 'cancelled', lastError: `sweep cancelled: ${reason}`, finishedAt: now, updatedAt: now })
      .where(inArray(jobs.id, queued.map((j) => j.id)));
  }
  const leasedIds = open.filter((j) => j.status === 'leased').map((j) => j.id);
  const leasedJobs = leasedIds.length
    ? await tx.update(jobs).set({ cancelRequestedAt: now, updatedAt: now }).where(inArray(jobs.id, leasedIds)).returning()
    : [];
  await countFinished(tx, queued, now);
  const [after] = await tx.select().from(sweeps).where(eq(sweeps.id, sweepId));
  return { sweep: after, cancelledJobs: queued.length, leasedJobs };
}

async function dbNow(db: Db, now?: Date): Promise<Date> {
  if (now) return now;
  const row = rowsOf<{ now: Date | string }>(await db.execute(sql`select now() as now`))[0];
  return new Date(row.now);
}

/** When the successor of a sweep that started at `startAt` runs: the first slot not before `now`. */
export function nextSlot(startAt: Date, everyMs: number, now: Date): Date {
  const k = Math.max(1, Math.ceil((now.getTime() - startAt.getTime()) / everyMs));
  return new Date(startAt.getTime() + k * everyMs);
}

/**
 * For each repeating sweep that has started and has no successor yet, creates the successor: the
 * same jobs (subnets, artifacts, anchors), starting at the next slot. Missed slots (coordinator
 * down) are skipped, not piled up. Returns the sweeps created (at most `limit` per call).
 */
export async function spawnDueRepeats(db: Db, opts: { now?: Date; limit?: number } = {}): Promise<SweepRow[]> {
  const now = await dbNow(db, opts.now);
  const child = alias(sweeps, 'child');
  const due = await db
    .select({ id: sweeps.id })
    .from(sweeps)
    .where(
      and(
        isNotNull(sweeps.repeatEveryMs),
        ne(sweeps.status, 'cancelled'),
        lte(sweeps.startAt, now),
        notExists(db.select({ one: sql`1` }).from(child).where(eq(child.previousSweepId, sweeps.id))),
      ),
    )
    .orderBy(asc(sweeps.id))
    .limit(Math.min(Math.max(1, opts.limit ?? 100), 1000));
  const created: SweepRow[] = [];
  for (const { id } of due) {
    const sweep = await db.transaction(async (tx) => {
      const [parent] = await tx.select().from(sweeps).where(eq(sweeps.id, id)).for('update');
      if (!parent || parent.status === 'cancelled' || parent.repeatEveryMs == null) return null;
      const [{ n }] = await tx.select({ n: count() }).from(jobs).where(eq(jobs.sweepId, id));
      const startAt = nextSlot(parent.startAt, parent.repeatEveryMs, now);
      const [next] = await tx
        .insert(sweeps)
        .values({
          deviceId: parent.deviceId,
          space: parent.space,
          strategy: parent.strategy,
          count: parent.count,
          seed: parent.seed,
          settings: parent.settings,
          params: parent.params,
          remaining: n,
          startAt,
          repeatEveryMs: parent.repeatEveryMs,
          previousSweepId: parent.id,
        })
        .onConflictDoNothing({ target: sweeps.previousSweepId })
        .returning();
      if (!next) return null;
      await tx.execute(sql`insert into ${jobs} (sweep_id, device_id, position, space, subnet_id, part_key, artifact_sha256, anchor, not_before, max_attempts)
        select ${next.id}::bigint, device_id, position, space, subnet_id, part_key, artifact_sha256, anchor, ${startAt.toISOString()}::timestamptz, max_attempts
        from ${jobs} where sweep_id = ${parent.id}::bigint order by position`);
      return next;
    });
    if (sweep) created.push(sweep);
  }
  return created;
}
