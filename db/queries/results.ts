/**
 * Result ingestion, idempotent on (job, attempt):
 * - the first result of an attempt is stored; a resend returns the stored row and changes nothing;
 * - a result for the attempt holding the lease counts: ok/unstable completes the job, failed
 *   re-queues it (charged) or fails it at its last attempt, with the error;
 * - a late result (lease expired, job re-queued or re-leased, or already finished) is stored
 *   with counted = false and leaves the job as it is;
 * - a result from a device the job is not for is a ForbiddenError and stores nothing.
 */
import { and, eq } from 'drizzle-orm';
import { ForbiddenError, NotFoundError, ValidationError } from '../../core/errors';
import { MeasurementStatus, type Measurement } from '../../core/measurement';
import type { Db } from '../client';
import { withDbErrors } from '../errors';
import { jobs, type JobRow } from '../schema/jobs';
import { measurements, type MeasurementRow, type NewMeasurementRow } from '../schema/measurements';
import { countFinished, settleLeased } from './job-settle';
import { nowSql } from './time';

export type ResultOutcome =
  /** Counted: the job is done. */
  | 'done'
  /** Counted failure; the job went back to the queue for another attempt. */
  | 'requeued'
  /** Counted failure at the last attempt: the job failed. */
  | 'failed'
  /** Counted failure of a job whose sweep was cancelled meanwhile: the job is cancelled. */
  | 'cancelled'
  /** Stored as data only (counted = false): the attempt no longer held the lease. */
  | 'late'
  /** Already stored earlier: nothing changed. */
  | 'duplicate';

export interface RecordResultInput {
  jobId: number;
  attempt: number;
  /** The authenticated device sending the result. */
  deviceId: string;
  measurement: Measurement;
  now?: Date;
}

export interface RecordedResult {
  /** The stored row (this call's or, for a duplicate, the earlier one). */
  measurement: MeasurementRow;
  /** Whether this call stored it (false for a duplicate). */
  stored: boolean;
  outcome: ResultOutcome;
  /** The job after this call. */
  job: JobRow;
}

function toDate(ms: number, field: string): Date {
  const d = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) throw new ValidationError(`measurement.${field} must be a time in epoch ms, got ${ms}`);
  return d;
}

function checkMeasurement(m: Measurement): void {
  if (!MeasurementStatus.options.includes(m.status)) {
    throw new ValidationError(`measurement.status must be one of ${MeasurementStatus.options.join(', ')}, got "${m.status}"`);
  }
  if (m.status !== 'failed' && !m.stats) throw new ValidationError(`measurement.stats is required for status "${m.status}"`);
  if (m.samplesMs.length > 100_000) throw new ValidationError(`measurement.samplesMs has ${m.samplesMs.length} samples; at most 100000`);
}

export function measurementRow(job: JobRow, attempt: number, m: Measurement, counted: boolean): NewMeasurementRow {
  const s = m.stats;
  return {
    jobId: job.id,
    attempt,
    sweepId: job.sweepId,
    deviceId: job.deviceId,
    space: job.space,
    subnetId: job.subnetId,
    partKey: job.partKey,
    anchor: job.anchor,
    status: m.status,
    error: m.error ? m.error.slice(0, 4000) : null,
    runs: s?.runs ?? null,
    minMs: s?.minMs ?? null,
    medianMs: s?.medianMs ?? null,
    meanMs: s?.meanMs ?? null,
    p90Ms: s?.p90Ms ?? null,
    maxMs: s?.maxMs ?? null,
    stdMs: s?.stdMs ?? null,
    cv: s?.cv ?? null,
    samplesMs: m.samplesMs,
    rounds: m.attempts ?? 1,
    provenance: m.provenance,
    counted,
    startedAt: toDate(m.startedAt, 'startedAt'),
    finishedAt: toDate(m.finishedAt, 'finishedAt'),
  };
}

/** The checks a result passes before any database work (ValidationError otherwise). */
export function checkResultInput(input: RecordResultInput): void {
  if (!Number.isSafeInteger(input.jobId) || input.jobId < 1) throw new ValidationError(`job id must be a positive integer, got ${input.jobId}`);
  if (!Number.isSafeInteger(input.attempt) || input.attempt < 1) throw new ValidationError(`attempt must be a positive integer, got ${input.attempt}`);
  checkMeasurement(input.measurement);
}

export async function recordResult(db: Db, input: RecordResultInput): Promise<RecordedResult> {
  checkResultInput(input);
  const now = nowSql(input.now);
  return withDbErrors('measurement', () =>
    db.transaction(async (tx): Promise<RecordedResult> => {
      const [job] = await tx.select().from(jobs).where(eq(jobs.id, input.jobId)).for('update');
      if (!job) throw new NotFoundError(`no job ${input.jobId}`);
      if (job.deviceId !== input.deviceId) throw new ForbiddenError(`job ${input.jobId} is not assigned to this device`);
      if (input.attempt > job.attempt) {
        throw new ValidationError(`job ${input.jobId} has no attempt ${input.attempt}: it has been leased ${job.attempt} time(s)`);
      }
      const current = job.status === 'leased' && job.attempt === input.attempt;
      const [inserted] = await tx
        .insert(measurements)
        .values(measurementRow(job, input.attempt, input.measurement, current))
        .onConflictDoNothing({ target: [measurements.jobId, measurements.attempt] })
        .returning();
      if (!inserted) {
        const [existing] = await tx
          .select()
          .from(measurements)
          .where(and(eq(measurements.jobId, input.jobId), eq(measurements.attempt, input.attempt)));
        return { measurement: existing, stored: false, outcome: 'duplicate', job };
      }
      if (!current) return { measurement: inserted, stored: true, outcome: 'late', job };
      if (input.measurement.status === 'failed') {
        const reason = `measurement failed: ${input.measurement.error ?? 'no reason given'}`.slice(0, 4000);
        const [settled] = await settleLeased(tx, eq(jobs.id, job.id), { reason, charge: true, now });
        const outcome = settled.outcome === 'queued' ? 'requeued' : settled.outcome;
        return { measurement: inserted, stored: true, outcome, job: settled.job };
      }
      const [done] = await tx
        .update(jobs)
        .set({ status: 'done', lastError: null, leaseOwner: null, leaseExpiresAt: null, finishedAt: now, updatedAt: now })
        .where(eq(jobs.id, job.id))
        .returning();
      await countFinished(tx, [done], now);
      return { measurement: inserted, stored: true, outcome: 'done', job: done };
    }),
  );
}
