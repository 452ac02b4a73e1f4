/**
 * Sweeps as the dashboards show them: progress by job status, throughput (stored results per
 * minute between the first and the last), an estimate of the time left, and the jobs that failed
 * or had to be retried, each with its reason.
 */
import { and, asc, count, desc, eq, gt, inArray, max, min, or, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { listSweeps, type SweepView } from '../../../db/queries/sweeps';
import { jobs } from '../../../db/schema/jobs';
import { measurements } from '../../../db/schema/measurements';

export interface SweepFailureItem {
  jobId: number;
  subnetId: string | null;
  partKey: string | null;
  anchor: boolean;
  /** Leases the job took, and how many of them failed. */
  attempts: number;
  failures: number;
  /** True when the job failed for good; false when it was retried (and may have succeeded). */
  final: boolean;
  status: string;
  error: string | null;
}

export interface SweepCard extends SweepView {
  /** Counted results stored: ok or unstable, and failed ones. */
  measured: number;
  failedMeasurements: number;
  /** Stored results per minute between the first and the last; null before two results. */
  throughputPerMin: number | null;
  firstResultAt: string | null;
  lastResultAt: string | null;
  /** Seconds left at the current throughput, for unfinished sweeps. */
  etaS: number | null;
  failures: SweepFailureItem[];
}

const FAILURES_PER_SWEEP = 20;

export async function sweepCards(db: Db, opts: { limit?: number; deviceId?: string } = {}): Promise<SweepCard[]> {
  const views = await listSweeps(db, { limit: opts.limit ?? 50, deviceId: opts.deviceId });
  const ids = views.map((v) => v.id);
  if (ids.length === 0) return [];
  const stats = await db
    .select({
      sweepId: measurements.sweepId,
      ok: sql<number>`count(*) filter (where ${measurements.status} <> 'failed')`.mapWith(Number),
      failed: sql<number>`count(*) filter (where ${measurements.status} = 'failed')`.mapWith(Number),
      n: count(),
      first: min(measurements.createdAt),
      last: max(measurements.createdAt),
    })
    .from(measurements)
    .where(and(inArray(measurements.sweepId, ids), eq(measurements.counted, true)))
    .groupBy(measurements.sweepId);
  const troubled = await db
    .select()
    .from(jobs)
    .where(and(inArray(jobs.sweepId, ids), or(eq(jobs.status, 'failed'), gt(jobs.failures, 0))))
    .orderBy(desc(jobs.id))
    .limit(FAILURES_PER_SWEEP * ids.length);
  // A retried job that then succeeded has no last error any more: its failed results say why.
  const reasons = new Map<number, string>();
  const retried = troubled.filter((j) => j.failures > 0).map((j) => j.id);
  if (retried.length > 0) {
    const failed = await db
      .select({ jobId: measurements.jobId, error: measurements.error })
      .from(measurements)
      .where(and(inArray(measurements.jobId, retried), eq(measurements.status, 'failed')))
      .orderBy(asc(measurements.id));
    for (const m of failed) if (m.error) reasons.set(m.jobId, m.error);
  }
  const statsBy = new Map(stats.map((s) => [s.sweepId, s]));
  const failuresBy = new Map<number, SweepFailureItem[]>();
  for (const job of troubled) {
    const list = failuresBy.get(job.sweepId) ?? [];
    if (list.length >= FAILURES_PER_SWEEP) continue;
    list.push({
      jobId: job.id,
      subnetId: job.subnetId,
      partKey: job.partKey,
      anchor: job.anchor,
      attempts: job.attempt,
      failures: job.failures,
      final: job.status === 'failed',
      status: job.status,
      error: job.lastError ?? reasons.get(job.id) ?? null,
    });
    failuresBy.set(job.sweepId, list);
  }
  const time = (v: unknown): Date | null => (v ? new Date(v as Date | string) : null);
  return views.map((view) => {
    const s = statsBy.get(view.id);
    const first = time(s?.first);
    const last = time(s?.last);
    const n = Number(s?.n ?? 0);
    const spanMin = first && last ? (last.getTime() - first.getTime()) / 60_000 : 0;
    const throughput = n >= 2 && spanMin > 0 ? (n - 1) / spanMin : null;
    const left = view.progress.queued + view.progress.leased;
    return {
      ...view,
      measured: Number(s?.ok ?? 0),
      failedMeasurements: Number(s?.failed ?? 0),
      throughputPerMin: throughput,
      firstResultAt: first?.toISOString() ?? null,
      lastResultAt: last?.toISOString() ?? null,
      etaS: throughput && view.state === 'running' && left > 0 ? (left / throughput) * 60 : null,
      failures: failuresBy.get(view.id) ?? [],
    };
  });
}
