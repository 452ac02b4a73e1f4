/**
 * Sweeps: creation (the sweep and all its jobs in one transaction), progress and listing.
 * Cancelling and repeating live in sweep-control.ts.
 */
import { and, asc, count, desc, eq, inArray, isNull } from 'drizzle-orm';
import { MeasurementSettings, type MeasurementSettingsInput } from '../../core/measurement';
import { NotFoundError, ValidationError } from '../../core/errors';
import type { Db } from '../client';
import { withDbErrors } from '../errors';
import { devices } from '../schema/devices';
import { jobs, JOB_STATUSES, type JobStatus } from '../schema/jobs';
import { SWEEP_STRATEGIES, sweeps, type SweepRow, type SweepStrategy } from '../schema/sweeps';

export const MAX_JOBS_PER_SWEEP = 100_000;
const CHUNK = 1000;

export interface NewSweepJob {
  /** Exactly one of subnetId (a stored subnet) and partKey (a stored part). */
  subnetId?: string | null;
  partKey?: string | null;
  artifactSha256?: string | null;
  anchor?: boolean;
}

export interface NewSweep {
  deviceId: string;
  space: string;
  strategy: SweepStrategy;
  /** Subnets or parts asked for; defaults to the number of non-anchor jobs. */
  count?: number;
  seed?: number | null;
  /** Measurement settings; defaults filled in (core/measurement.ts). */
  settings?: MeasurementSettingsInput;
  params?: Record<string, unknown>;
  /** Jobs are not dispatched before this (default: now). */
  startAt?: Date;
  /** Repeat every this many ms (at least 1000): a successor sweep re-measures the same jobs. */
  repeatEveryMs?: number | null;
  /** Leases a job may fail before it fails (default 3). */
  maxAttempts?: number;
  jobs: readonly NewSweepJob[];
  /** Set by repeats: the sweep this one repeats. */
  previousSweepId?: number | null;
}

/** "scheduled" and "running" are derived from start_at; done/cancelled are stored. */
export type SweepState = 'scheduled' | 'running' | 'done' | 'cancelled';
export type SweepProgress = Record<JobStatus, number> & { total: number };

export interface SweepView extends SweepRow {
  deviceName: string;
  state: SweepState;
  progress: SweepProgress;
}

function checkNewSweep(input: NewSweep): void {
  if (!(SWEEP_STRATEGIES as readonly string[]).includes(input.strategy)) {
    throw new ValidationError(`sweep strategy "${input.strategy}" is invalid; one of: ${SWEEP_STRATEGIES.join(', ')}`);
  }
  if (input.jobs.length === 0) throw new ValidationError('a sweep needs at least one job');
  if (input.jobs.length > MAX_JOBS_PER_SWEEP) throw new ValidationError(`a sweep may have at most ${MAX_JOBS_PER_SWEEP} jobs, got ${input.jobs.length}`);
  for (const [i, job] of input.jobs.entries()) {
    if (!job.subnetId === !job.partKey) throw new ValidationError(`sweep job ${i + 1} needs exactly one of subnetId and partKey`);
  }
  if (input.repeatEveryMs != null && !(Number.isInteger(input.repeatEveryMs) && input.repeatEveryMs >= 1000)) {
    throw new ValidationError(`sweep repeat interval must be a whole number of ms, at least 1000, got ${input.repeatEveryMs}`);
  }
  if (input.maxAttempts !== undefined && !(Number.isInteger(input.maxAttempts) && input.maxAttempts >= 1 && input.maxAttempts <= 100)) {
    throw new ValidationError(`max attempts must be an integer from 1 to 100, got ${input.maxAttempts}`);
  }
  if (input.startAt !== undefined && Number.isNaN(input.startAt.getTime())) throw new ValidationError('sweep start time is not a valid time');
  if (input.count !== undefined && !(Number.isInteger(input.count) && input.count >= 1)) throw new ValidationError(`sweep count must be a positive integer, got ${input.count}`);
}

/**
 * Creates a sweep and all its jobs in one transaction: either everything is stored or nothing
 * (an unknown subnet, part or device rolls it all back with a ValidationError).
 */
export async function createSweep(db: Db, input: NewSweep): Promise<SweepRow> {
  checkNewSweep(input);
  const settingsParse = MeasurementSettings.safeParse(input.settings ?? {});
  if (!settingsParse.success) {
    throw new ValidationError(`measurement settings are invalid: ${settingsParse.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return withDbErrors('sweep', () =>
    db.transaction(async (tx) => {
      const [device] = await tx
        .select({ id: devices.id })
        .from(devices)
        .where(and(eq(devices.id, input.deviceId), isNull(devices.removedAt)));
      if (!device) throw new NotFoundError(`device ${input.deviceId} does not exist or was removed`);
      const count = input.count ?? Math.max(1, input.jobs.filter((j) => !j.anchor).length);
      const [sweep] = await tx
        .insert(sweeps)
        .values({
          deviceId: input.deviceId,
          space: input.space,
          strategy: input.strategy,
          count,
          seed: input.seed ?? null,
          settings: settingsParse.data,
          params: input.params ?? {},
          remaining: input.jobs.length,
          ...(input.startAt ? { startAt: input.startAt } : {}),
          repeatEveryMs: input.repeatEveryMs ?? null,
          previousSweepId: input.previousSweepId ?? null,
        })
        .returning();
      for (let i = 0; i < input.jobs.length; i += CHUNK) {
        await tx.insert(jobs).values(
          input.jobs.slice(i, i + CHUNK).map((job, k) => ({
            sweepId: sweep.id,
            deviceId: input.deviceId,
            position: i + k,
            space: input.space,
            subnetId: job.subnetId ?? null,
            partKey: job.partKey ?? null,
            artifactSha256: job.artifactSha256 ?? null,
            anchor: job.anchor ?? false,
            notBefore: sweep.startAt,
            maxAttempts: input.maxAttempts ?? 3,
          })),
        );
      }
      return sweep;
    }),
  );
}

function emptyProgress(): SweepProgress {
  return { queued: 0, leased: 0, done: 0, failed: 0, cancelled: 0, total: 0 };
}

async function progressOf(db: Db, sweepIds: readonly number[]): Promise<Map<number, SweepProgress>> {
  const out = new Map<number, SweepProgress>(sweepIds.map((id) => [id, emptyProgress()]));
  if (sweepIds.length === 0) return out;
  const rows = await db
    .select({ sweepId: jobs.sweepId, status: jobs.status, n: count() })
    .from(jobs)
    .where(inArray(jobs.sweepId, sweepIds as number[]))
    .groupBy(jobs.sweepId, jobs.status);
  for (const row of rows) {
    const p = out.get(row.sweepId)!;
    if ((JOB_STATUSES as readonly string[]).includes(row.status)) p[row.status] = row.n;
    p.total += row.n;
  }
  return out;
}

/** Job counts of a sweep by status (zeros for a sweep that does not exist). */
export async function sweepProgress(db: Db, sweepId: number): Promise<SweepProgress> {
  return (await progressOf(db, [sweepId])).get(sweepId)!;
}

export function sweepState(sweep: Pick<SweepRow, 'status' | 'startAt'>, now = new Date()): SweepState {
  if (sweep.status !== 'active') return sweep.status;
  return sweep.startAt.getTime() > now.getTime() ? 'scheduled' : 'running';
}

async function views(db: Db, rows: Array<{ sweep: SweepRow; deviceName: string }>, now?: Date): Promise<SweepView[]> {
  const progress = await progressOf(db, rows.map((r) => r.sweep.id));
  return rows.map(({ sweep, deviceName }) => ({ ...sweep, deviceName, state: sweepState(sweep, now), progress: progress.get(sweep.id)! }));
}

export async function getSweep(db: Db, id: number, now?: Date): Promise<SweepView | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null;
  const rows = await db
    .select({ sweep: sweeps, deviceName: devices.name })
    .from(sweeps)
    .innerJoin(devices, eq(devices.id, sweeps.deviceId))
    .where(eq(sweeps.id, id));
  return (await views(db, rows, now))[0] ?? null;
}

/** Like getSweep, but a missing sweep is a NotFoundError naming it. */
export async function requireSweep(db: Db, id: number, now?: Date): Promise<SweepView> {
  const sweep = await getSweep(db, id, now);
  if (!sweep) throw new NotFoundError(`no sweep ${id}`);
  return sweep;
}

/** Newest first; `active` keeps only unfinished ones (scheduled or running). */
export async function listSweeps(db: Db, opts: { deviceId?: string; active?: boolean; limit?: number; now?: Date } = {}): Promise<SweepView[]> {
  const limit = Math.min(Math.max(1, opts.limit ?? 100), 10_000);
  const rows = await db
    .select({ sweep: sweeps, deviceName: devices.name })
    .from(sweeps)
    .innerJoin(devices, eq(devices.id, sweeps.deviceId))
    .where(and(opts.deviceId ? eq(sweeps.deviceId, opts.deviceId) : undefined, opts.active ? eq(sweeps.status, 'active') : undefined))
    .orderBy(desc(sweeps.id))
    .limit(limit);
  return views(db, rows, opts.now);
}

/** The jobs of a sweep in order (for status pages and repeats). */
export async function listSweepJobs(db: Db, sweepId: number, opts: { limit?: number; offset?: number } = {}) {
  return db
    .select()
    .from(jobs)
    .where(eq(jobs.sweepId, sweepId))
    .orderBy(asc(jobs.position))
    .limit(Math.min(Math.max(1, opts.limit ?? MAX_JOBS_PER_SWEEP), MAX_JOBS_PER_SWEEP))
    .offset(Math.max(0, opts.offset ?? 0));
}
