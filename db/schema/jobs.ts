/**
 * Jobs: one measurement of one subnet (or part) on one device. Leased with FOR UPDATE SKIP
 * LOCKED; `attempt` counts leases and is the idempotency key of results together with the job
 * id; `failures` counts the attempts charged against `max_attempts`.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { artifacts } from './artifacts';
import { createdAt, oneOf, tstz } from './columns';
import { devices } from './devices';
import { parts, subnets } from './subnets';
import { sweeps } from './sweeps';

export const JOB_STATUSES = ['queued', 'leased', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_JOB_STATUSES = ['done', 'failed', 'cancelled'] as const satisfies readonly JobStatus[];

export const jobs = pgTable(
  'jobs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    sweepId: bigint('sweep_id', { mode: 'number' })
      .notNull()
      .references(() => sweeps.id),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id),
    /** Order within the sweep. */
    position: integer('position').notNull(),
    space: text('space').notNull(),
    subnetId: text('subnet_id').references(() => subnets.id),
    partKey: text('part_key').references(() => parts.key),
    /** The ONNX model; null until the coordinator builds it (on demand, at first dispatch). */
    artifactSha256: text('artifact_sha256').references(() => artifacts.sha256),
    /** A re-measurement of the sweep's fixed anchor subnet, to make drift visible. */
    anchor: boolean('anchor').notNull().default(false),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    /** Not dispatched before this time (the sweep's start_at). */
    notBefore: tstz('not_before').notNull().defaultNow(),
    attempt: integer('attempt').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    /** Coordinator instance that holds the lease. */
    leaseOwner: text('lease_owner'),
    leasedAt: tstz('leased_at'),
    leaseExpiresAt: tstz('lease_expires_at'),
    /** Set when the sweep is cancelled while the job is leased; the job ends cancelled unless its result arrives. */
    cancelRequestedAt: tstz('cancel_requested_at'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    finishedAt: tstz('finished_at'),
  },
  (t) => [
    /** Dispatch: the oldest eligible queued job of a device. */
    index('jobs_dispatch_idx').on(t.deviceId, t.notBefore, t.id).where(sql`${t.status} = 'queued'`),
    /** Expiry scan and same-host exclusion. */
    index('jobs_leased_idx').on(t.leaseExpiresAt).where(sql`${t.status} = 'leased'`),
    index('jobs_leased_device_idx').on(t.deviceId).where(sql`${t.status} = 'leased'`),
    index('jobs_sweep_idx').on(t.sweepId, t.status),
    index('jobs_subnet_idx').on(t.subnetId),
    check('jobs_status_ck', oneOf(t.status, JOB_STATUSES)),
    check('jobs_target_ck', sql`(${t.subnetId} is null) <> (${t.partKey} is null)`),
    check('jobs_attempts_ck', sql`${t.attempt} >= 0 and ${t.failures} >= 0 and ${t.maxAttempts} between 1 and 100`),
    check('jobs_lease_ck', sql`${t.status} <> 'leased' or (${t.leaseExpiresAt} is not null and ${t.leaseOwner} is not null)`),
  ],
);

export type JobRow = typeof jobs.$inferSelect;
export type NewJobRow = typeof jobs.$inferInsert;
