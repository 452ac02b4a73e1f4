/**
 * Internal: how a leased job leaves its lease without a result (released, expired, device gone),
 * and how a sweep counts its finished jobs. Lock order everywhere: job rows first (ascending id),
 * then sweep rows (ascending id), so concurrent coordinators never deadlock.
 */
import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { jobs, type JobRow, type JobStatus } from '../schema/jobs';
import { sweeps } from '../schema/sweeps';

/** Leases a job may take before uncharged releases are charged anyway (keeps every loop bounded). */
export const LEASE_CAP = 100;

export type SettleOutcome = 'queued' | 'failed' | 'cancelled';
export interface SettledJob {
  job: JobRow;
  outcome: SettleOutcome;
}

export function isTerminal(status: JobStatus): boolean {
  return status === 'done' || status === 'failed' || status === 'cancelled';
}

/**
 * Ends the leases of the leased jobs matching `where`: a job whose sweep was cancelled becomes
 * cancelled; a charged job at its last attempt fails with `reason`; any other goes back to the
 * queue. `skipLocked` skips jobs another transaction is settling (expiry sweeps); otherwise
 * waits for them. Returns the jobs after the change.
 */
export async function settleLeased(
  tx: Db,
  where: SQL,
  opts: { reason: string; charge: boolean; now: SQL; limit?: number; skipLocked?: boolean },
): Promise<SettledJob[]> {
  let pick = tx
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.status, 'leased'), where))
    .orderBy(asc(jobs.id))
    .$dynamic();
  if (opts.limit !== undefined) pick = pick.limit(opts.limit);
  const locked = await pick.for('update', opts.skipLocked ? { skipLocked: true } : {});
  if (locked.length === 0) return [];
  const charge = sql`(case when ${sql.raw(opts.charge ? 'true' : 'false')} or ${jobs.attempt} >= ${LEASE_CAP} then 1 else 0 end)`;
  const next = sql`(case when ${jobs.cancelRequestedAt} is not null then 'cancelled'
    when ${jobs.failures} + ${charge} >= ${jobs.maxAttempts} then 'failed' else 'queued' end)`;
  const rows = await tx
    .update(jobs)
    .set({
      status: sql`${next}`,
      failures: sql`${jobs.failures} + ${charge}`,
      lastError: sql`(case when ${jobs.failures} + ${charge} >= ${jobs.maxAttempts} and ${jobs.cancelRequestedAt} is null
        then ${opts.reason}::text || ' (attempt ' || ${jobs.attempt} || ' of at most ' || ${jobs.maxAttempts} || ')' else ${opts.reason}::text end)`,
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: sql`(case when ${next} = 'queued' then null else ${opts.now} end)`,
      updatedAt: opts.now,
    })
    .where(
      inArray(
        jobs.id,
        locked.map((r) => r.id),
      ),
    )
    .returning();
  rows.sort((a, b) => a.id - b.id);
  await countFinished(tx, rows.filter((r) => isTerminal(r.status)), opts.now);
  return rows.map((job) => ({ job, outcome: job.status as SettleOutcome }));
}

/**
 * Counts jobs that just reached a terminal status against their sweeps; a sweep whose last job
 * finished becomes done (or stays cancelled) with its finish time. The row update serializes
 * concurrent finishers, so exactly one of them sees `remaining` reach 0.
 */
export async function countFinished(tx: Db, finished: readonly Pick<JobRow, 'sweepId'>[], now: SQL): Promise<void> {
  const perSweep = new Map<number, number>();
  for (const job of finished) perSweep.set(job.sweepId, (perSweep.get(job.sweepId) ?? 0) + 1);
  for (const sweepId of [...perSweep.keys()].sort((a, b) => a - b)) {
    const n = perSweep.get(sweepId) ?? 0;
    const left = sql`greatest(${sweeps.remaining} - ${n}::integer, 0)`;
    await tx
      .update(sweeps)
      .set({
        remaining: left,
        status: sql`(case when ${left} = 0 and ${sweeps.status} = 'active' then 'done' else ${sweeps.status} end)`,
        finishedAt: sql`(case when ${left} = 0 then coalesce(${sweeps.finishedAt}, ${now}) else ${sweeps.finishedAt} end)`,
      })
      .where(eq(sweeps.id, sweepId));
  }
}
