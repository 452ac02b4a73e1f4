/**
 * Measurements: a latency distribution with provenance, or a failure with its reason. Stored once
 * per (job, attempt). `counted` is false for a late result of an attempt whose lease had already
 * expired or been superseded: kept as data, never counted twice.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { MeasurementStatus, type Provenance } from '../../core/measurement';
import { createdAt, oneOf, tstz } from './columns';
import { devices } from './devices';
import { jobs } from './jobs';
import { sweeps } from './sweeps';

export const MEASUREMENT_STATUSES = MeasurementStatus.options as [MeasurementStatus, ...MeasurementStatus[]];

export const measurements = pgTable(
  'measurements',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    jobId: bigint('job_id', { mode: 'number' })
      .notNull()
      .references(() => jobs.id),
    attempt: integer('attempt').notNull(),
    sweepId: bigint('sweep_id', { mode: 'number' })
      .notNull()
      .references(() => sweeps.id),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id),
    space: text('space').notNull(),
    subnetId: text('subnet_id'),
    partKey: text('part_key'),
    anchor: boolean('anchor').notNull().default(false),
    status: text('status', { enum: MEASUREMENT_STATUSES }).notNull(),
    error: text('error'),
    runs: integer('runs'),
    minMs: doublePrecision('min_ms'),
    medianMs: doublePrecision('median_ms'),
    meanMs: doublePrecision('mean_ms'),
    p90Ms: doublePrecision('p90_ms'),
    maxMs: doublePrecision('max_ms'),
    stdMs: doublePrecision('std_ms'),
    cv: doublePrecision('cv'),
    samplesMs: doublePrecision('samples_ms').array().notNull().default(sql`'{}'::double precision[]`),
    /** 1 + how many times the agent re-measured an unstable run. */
    rounds: integer('rounds').notNull().default(1),
    provenance: jsonb('provenance').$type<Provenance>(),
    counted: boolean('counted').notNull(),
    startedAt: tstz('started_at').notNull(),
    finishedAt: tstz('finished_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('measurements_job_attempt_uq').on(t.jobId, t.attempt),
    index('measurements_device_idx').on(t.deviceId, t.space, t.id),
    index('measurements_subnet_idx').on(t.subnetId, t.deviceId),
    index('measurements_sweep_idx').on(t.sweepId),
    check('measurements_status_ck', oneOf(t.status, MEASUREMENT_STATUSES)),
    check('measurements_attempt_ck', sql`${t.attempt} >= 1 and ${t.rounds} >= 1`),
    check('measurements_stats_ck', sql`${t.status} = 'failed' or (${t.runs} >= 1 and ${t.medianMs} is not null)`),
    check(
      'measurements_nonneg_ck',
      sql`coalesce(${t.minMs}, 0) >= 0 and coalesce(${t.medianMs}, 0) >= 0 and coalesce(${t.meanMs}, 0) >= 0 and coalesce(${t.p90Ms}, 0) >= 0 and coalesce(${t.maxMs}, 0) >= 0 and coalesce(${t.stdMs}, 0) >= 0 and coalesce(${t.cv}, 0) >= 0`,
    ),
  ],
);

export type MeasurementRow = typeof measurements.$inferSelect;
export type NewMeasurementRow = typeof measurements.$inferInsert;
