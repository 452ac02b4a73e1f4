/**
 * Result ingestion in batches (group commit): many successful measurements (`ok`, `unstable`)
 * stored in one transaction, with per input the outcome `recordResult` would give called one
 * after the other in input order: stored once per (job, attempt) (`duplicate` otherwise), counted
 * only for the attempt holding the lease (`late` otherwise), refused with its own error for an
 * unknown job, another device's job or an attempt never leased. Failed measurements go through
 * `recordResult` (they settle the job one by one). Lock order as everywhere: job rows (ascending
 * id), then sweep rows (ascending id). A database error fails the whole batch and changes
 * nothing; the caller may then record the inputs one by one.
 */
import { asc, inArray, sql } from 'drizzle-orm';
import { ForbiddenError, NotFoundError, ValidationError } from '../../core/errors';
import type { Db } from '../client';
import { withDbErrors } from '../errors';
import { jobs, type JobRow } from '../schema/jobs';
import { measurements, type MeasurementRow } from '../schema/measurements';
import { sweeps } from '../schema/sweeps';
import { checkResultInput, measurementRow, type RecordedResult, type RecordResultInput } from './results';
import { nowSql } from './time';

export type BatchOutcome = { ok: true; value: RecordedResult } | { ok: false; error: unknown };

/** At most this many inputs per call. */
export const MAX_RESULT_BATCH = 500;

const keyOf = (jobId: number, attempt: number) => `${jobId}/${attempt}`;

export async function recordResults(db: Db, inputs: readonly RecordResultInput[], opts: { now?: Date } = {}): Promise<BatchOutcome[]> {
  if (inputs.length > MAX_RESULT_BATCH) throw new ValidationError(`at most ${MAX_RESULT_BATCH} results per batch, got ${inputs.length}`);
  const out: BatchOutcome[] = new Array(inputs.length);
  const valid: number[] = [];
  inputs.forEach((input, i) => {
    try {
      checkResultInput(input);
      if (input.measurement.status === 'failed') throw new ValidationError('failed measurements are recorded one by one (recordResult)');
      valid.push(i);
    } catch (error) {
      out[i] = { ok: false, error };
    }
  });
  if (valid.length === 0) return out;
  const now = nowSql(opts.now);
  const decided = await withDbErrors('measurement', () =>
    db.transaction(async (tx) => {
      const local = new Map<number, BatchOutcome>();
      const ids = [...new Set(valid.map((i) => inputs[i].jobId))].sort((a, b) => a - b);
      const locked = await tx.select().from(jobs).where(inArray(jobs.id, ids)).orderBy(asc(jobs.id)).for('update');
      const byId = new Map(locked.map((j) => [j.id, j]));
      /** The first input of each (job, attempt) in this batch, and later copies of it. */
      const first = new Map<string, number>();
      const copies: Array<[number, string]> = [];
      for (const i of valid) {
        const input = inputs[i];
        const job = byId.get(input.jobId);
        if (!job) local.set(i, { ok: false, error: new NotFoundError(`no job ${input.jobId}`) });
        else if (job.deviceId !== input.deviceId) local.set(i, { ok: false, error: new ForbiddenError(`job ${input.jobId} is not assigned to this device`) });
        else if (input.attempt > job.attempt) local.set(i, { ok: false, error: new ValidationError(`job ${input.jobId} has no attempt ${input.attempt}: it has been leased ${job.attempt} time(s)`) });
        else if (first.has(keyOf(input.jobId, input.attempt))) copies.push([i, keyOf(input.jobId, input.attempt)]);
        else first.set(keyOf(input.jobId, input.attempt), i);
      }
      const fresh = [...first.values()];
      const current = (i: number) => {
        const job = byId.get(inputs[i].jobId)!;
        return job.status === 'leased' && job.attempt === inputs[i].attempt;
      };
      const inserted = fresh.length
        ? await tx
            .insert(measurements)
            .values(fresh.map((i) => measurementRow(byId.get(inputs[i].jobId)!, inputs[i].attempt, inputs[i].measurement, current(i))))
            .onConflictDoNothing({ target: [measurements.jobId, measurements.attempt] })
            .returning()
        : [];
      const stored = new Map<string, MeasurementRow>(inserted.map((m) => [keyOf(m.jobId, m.attempt), m]));
      const existing = new Map<string, MeasurementRow>();
      const missing = fresh.filter((i) => !stored.has(keyOf(inputs[i].jobId, inputs[i].attempt)));
      if (missing.length > 0) {
        const rows = await tx.select().from(measurements).where(inArray(measurements.jobId, [...new Set(missing.map((i) => inputs[i].jobId))]));
        for (const m of rows) existing.set(keyOf(m.jobId, m.attempt), m);
      }
      const finishing = fresh.filter((i) => stored.has(keyOf(inputs[i].jobId, inputs[i].attempt)) && current(i)).map((i) => inputs[i].jobId);
      const done = new Map<number, JobRow>();
      if (finishing.length > 0) {
        const rows = await tx
          .update(jobs)
          .set({ status: 'done', lastError: null, leaseOwner: null, leaseExpiresAt: null, finishedAt: now, updatedAt: now })
          .where(inArray(jobs.id, finishing))
          .returning();
        for (const j of rows) done.set(j.id, j);
        await countFinishedBatch(tx, rows, now);
      }
      for (const i of fresh) {
        const key = keyOf(inputs[i].jobId, inputs[i].attempt);
        const job = byId.get(inputs[i].jobId)!;
        const mine = stored.get(key);
        if (!mine) local.set(i, { ok: true, value: { measurement: existing.get(key)!, stored: false, outcome: 'duplicate', job } });
        else if (done.has(job.id) && current(i)) local.set(i, { ok: true, value: { measurement: mine, stored: true, outcome: 'done', job: done.get(job.id)! } });
        else local.set(i, { ok: true, value: { measurement: mine, stored: true, outcome: 'late', job } });
      }
      for (const [i, key] of copies) {
        const m = stored.get(key) ?? existing.get(key)!;
        local.set(i, { ok: true, value: { measurement: m, stored: false, outcome: 'duplicate', job: done.get(inputs[i].jobId) ?? byId.get(inputs[i].jobId)! } });
      }
      return local;
    }),
  );
  for (const [i, outcome] of decided) out[i] = outcome;
  return out;
}

/** countFinished for many sweeps in two statements: lock them in id order, then one update. */
async function countFinishedBatch(tx: Db, finished: readonly Pick<JobRow, 'sweepId'>[], now: ReturnType<typeof nowSql>): Promise<void> {
  const perSweep = new Map<number, number>();
  for (const job of finished) perSweep.set(job.sweepId, (perSweep.get(job.sweepId) ?? 0) + 1);
  const ids = [...perSweep.keys()].sort((a, b) => a - b);
  if (ids.length === 0) return;
  await tx.select({ id: sweeps.id }).from(sweeps).where(inArray(sweeps.id, ids)).orderBy(asc(sweeps.id)).for('update');
  const list = (values: number[]) => sql.join(values.map((v) => sql`${v}`), sql`, `);
  const v = sql`(select unnest(array[${list(ids)}]::bigint[]) as id, unnest(array[${list(ids.map((id) => perSweep.get(id)!))}]::integer[]) as n)`;
  const left = sql`greatest(${sweeps.remaining} - v.n, 0)`;
  await tx.execute(sql`update ${sweeps} set
    remaining = ${left},
    status = (case when ${left} = 0 and ${sweeps.status} = 'active' then 'done' else ${sweeps.status} end),
    finished_at = (case when ${left} = 0 then coalesce(${sweeps.finishedAt}, ${now}) else ${sweeps.finishedAt} end)
    from ${v} as v where ${sweeps.id} = v.id`);
}
