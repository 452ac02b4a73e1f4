/**
 * Search runs and their Pareto fronts, stored with the twin and predictor versions that made them
 * so a front can always be traced and reproduced.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, doublePrecision, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { SubnetConfig } from '../../core/config';
import { accuracyPredictors } from './accuracy';
import { createdAt, oneOf, tstz } from './columns';
import { devices } from './devices';
import { jobs } from './jobs';
import { twins } from './twins';

export const SEARCH_OBJECTIVES = ['accuracy', 'macs'] as const;
export type SearchObjective = (typeof SEARCH_OBJECTIVES)[number];

export const searchRuns = pgTable(
  'search_runs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id),
    space: text('space').notNull(),
    /** `macs` is a proxy for accuracy and is labelled so wherever shown. */
    objective: text('objective', { enum: SEARCH_OBJECTIVES }).notNull(),
    budgetsMs: doublePrecision('budgets_ms').array().notNull(),
    twinId: bigint('twin_id', { mode: 'number' })
      .notNull()
      .references(() => twins.id),
    twinVersion: integer('twin_version').notNull(),
    predictorId: bigint('predictor_id', { mode: 'number' }).references(() => accuracyPredictors.id),
    predictorVersion: integer('predictor_version'),
    /** Evolution hyper-parameters (population, generations, ...). */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    seed: bigint('seed', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
    finishedAt: tstz('finished_at'),
  },
  (t) => [
    index('search_runs_device_idx').on(t.deviceId, t.space, t.createdAt),
    check('search_runs_objective_ck', oneOf(t.objective, SEARCH_OBJECTIVES)),
    check('search_runs_predictor_ck', sql`${t.objective} = 'macs' or ${t.predictorId} is not null`),
  ],
);

export const paretoPoints = pgTable(
  'pareto_points',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runId: bigint('run_id', { mode: 'number' })
      .notNull()
      .references(() => searchRuns.id, { onDelete: 'cascade' }),
    /** The budget this point answers; null for a point of the non-dominated set only. */
    budgetMs: doublePrecision('budget_ms'),
    config: jsonb('config').$type<SubnetConfig>().notNull(),
    subnetId: text('subnet_id').notNull(),
    macs: bigint('macs', { mode: 'number' }).notNull(),
    predictedLatencyMs: doublePrecision('predicted_latency_ms').notNull(),
    /** Null when the objective is the MACs proxy. */
    predictedAccuracy: doublePrecision('predicted_accuracy'),
    /** Filled by --verify. */
    measuredLatencyMs: doublePrecision('measured_latency_ms'),
    verifyJobId: bigint('verify_job_id', { mode: 'number' }).references(() => jobs.id),
    chosen: boolean('chosen').notNull().default(false),
    dominated: boolean('dominated').notNull().default(false),
  },
  (t) => [index('pareto_points_run_idx').on(t.runId, t.budgetMs), index('pareto_points_subnet_idx').on(t.subnetId)],
);

export type SearchRunRow = typeof searchRuns.$inferSelect;
export type NewSearchRunRow = typeof searchRuns.$inferInsert;
export type ParetoPointRow = typeof paretoPoints.$inferSelect;
export type NewParetoPointRow = typeof paretoPoints.$inferInsert;
