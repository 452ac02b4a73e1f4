/**
 * A sweep: measure N subnets (or parts) of a space on one device with given settings. It expands
 * into job rows at creation. Scheduling: jobs become eligible at `start_at`; a sweep with
 * `repeat_every_ms` gets a successor (same subnets, next slot) once it has started, linked by
 * `previous_sweep_id`, so drift over days shows in the data.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import type { MeasurementSettings } from '../../core/measurement';
import { createdAt, oneOf, tstz } from './columns';
import { devices } from './devices';

export const SWEEP_STRATEGIES = ['random', 'macs-stratified', 'list', 'blocks'] as const;
export type SweepStrategy = (typeof SWEEP_STRATEGIES)[number];

/** Stored status. "scheduled" and "running" are both `active`; see SweepState in queries. */
export const SWEEP_STATUSES = ['active', 'done', 'cancelled'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];

export const sweeps = pgTable(
  'sweeps',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id),
    space: text('space').notNull(),
    strategy: text('strategy', { enum: SWEEP_STRATEGIES }).notNull(),
    /** How many subnets or parts were asked for (jobs may add anchor re-measurements). */
    count: integer('count').notNull(),
    seed: bigint('seed', { mode: 'number' }),
    settings: jsonb('settings').$type<MeasurementSettings>().notNull(),
    /** Free-form creation parameters (configs file name, resolutions for blocks, anchor every K...). */
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: SWEEP_STATUSES }).notNull().default('active'),
    /** Jobs not yet done, failed or cancelled; the sweep is finished when it reaches 0. */
    remaining: integer('remaining').notNull(),
    startAt: tstz('start_at').notNull().defaultNow(),
    repeatEveryMs: bigint('repeat_every_ms', { mode: 'number' }),
    previousSweepId: bigint('previous_sweep_id', { mode: 'number' }).references((): AnyPgColumn => sweeps.id),
    cancelReason: text('cancel_reason'),
    createdAt: createdAt(),
    finishedAt: tstz('finished_at'),
  },
  (t) => [
    index('sweeps_device_idx').on(t.deviceId, t.createdAt),
    /** At most one successor per sweep, even with several coordinators spawning repeats. */
    uniqueIndex('sweeps_previous_uq').on(t.previousSweepId),
    index('sweeps_repeat_idx').on(t.startAt).where(sql`${t.repeatEveryMs} is not null and ${t.status} <> 'cancelled'`),
    check('sweeps_strategy_ck', oneOf(t.strategy, SWEEP_STRATEGIES)),
    check('sweeps_status_ck', oneOf(t.status, SWEEP_STATUSES)),
    check('sweeps_count_ck', sql`${t.count} >= 1 and ${t.remaining} >= 0`),
    check('sweeps_repeat_ck', sql`${t.repeatEveryMs} is null or ${t.repeatEveryMs} >= 1000`),
  ],
);

export type SweepRow = typeof sweeps.$inferSelect;
export type NewSweepRow = typeof sweeps.$inferInsert;
