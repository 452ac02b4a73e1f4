/**
 * Queries the coordinator's dispatcher and artifact route need beyond the queue itself (added by
 * the coordinator; the queue's own semantics stay in queue.ts).
 */
import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { jobs } from '../schema/jobs';
import { sweeps, type SweepRow } from '../schema/sweeps';
import { nowSql } from './time';

/**
 * Which of these devices have a queued job eligible now: one cheap indexed query per dispatch
 * round, so idle agents without work cost no lease transaction.
 */
export async function devicesWithWork(db: Db, deviceIds: readonly string[], now?: Date): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < deviceIds.length; i += 1000) {
    const rows = await db
      .selectDistinct({ deviceId: jobs.deviceId })
      .from(jobs)
      .where(and(eq(jobs.status, 'queued'), inArray(jobs.deviceId, deviceIds.slice(i, i + 1000) as string[]), lte(jobs.notBefore, nowSql(now))));
    for (const row of rows) out.add(row.deviceId);
  }
  return out;
}

/**
 * Whether a device may download an artifact: one of its unfinished jobs (queued or leased) uses
 * it. An agent can read only the models of its own jobs.
 */
export async function deviceNeedsArtifact(db: Db, deviceId: string, sha256: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(jobs)
    .where(and(eq(jobs.deviceId, deviceId), eq(jobs.artifactSha256, sha256), inArray(jobs.status, ['queued', 'leased'])))
    .limit(1);
  return row !== undefined;
}

/** A sweep's stored status and how many jobs it has left (a cheap read, no progress counts). */
export async function sweepCompletion(db: Db, sweepId: number): Promise<{ status: SweepRow['status']; remaining: number; deviceId: string; space: string } | null> {
  const [row] = await db
    .select({ status: sweeps.status, remaining: sweeps.remaining, deviceId: sweeps.deviceId, space: sweeps.space })
    .from(sweeps)
    .where(eq(sweeps.id, sweepId));
  return row ?? null;
}
