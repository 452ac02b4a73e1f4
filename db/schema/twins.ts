/**
 * Twins: per-(device, space) latency predictors. Each refit round is one `version`; all families
 * of a round are kept with their held-out metrics, and at most one twin per (device, space) is
 * active (the best by cross-validation).
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from './columns';
import { devices } from './devices';

/** Held-out quality of one model (fractions in [0, 1]; rmspe as a fraction too). */
export interface PredictorScores {
  within5: number;
  within10: number;
  rmspe: number;
  kendallTau: number;
}

export interface TwinMetrics extends PredictorScores {
  /** Number of held-out subnets the scores were computed on. */
  heldOut: number;
  /** Scores against the number of measured subnets used for fitting (10, 20, 50, ...). */
  learningCurve: Array<{ n: number } & PredictorScores>;
  [extra: string]: unknown;
}

export const twins = pgTable(
  'twins',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id),
    space: text('space').notNull(),
    /** macs-fit | table-sum | learned-... | transfer-... (defined by server/twins). */
    family: text('family').notNull(),
    version: integer('version').notNull(),
    active: boolean('active').notNull().default(false),
    metrics: jsonb('metrics').$type<TwinMetrics>().notNull(),
    /** The serialized model, enough to predict without refitting. */
    model: jsonb('model').$type<Record<string, unknown>>().notNull(),
    /** Fitting parameters, e.g. the twins a transfer twin builds on. */
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    nMeasurements: integer('n_measurements').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('twins_version_family_uq').on(t.deviceId, t.space, t.version, t.family),
    uniqueIndex('twins_active_uq').on(t.deviceId, t.space).where(sql`${t.active}`),
    index('twins_device_idx').on(t.deviceId, t.space, t.version),
    check('twins_n_ck', sql`${t.nMeasurements} >= 0 and ${t.version} >= 1`),
  ],
);

export type TwinRow = typeof twins.$inferSelect;
export type NewTwinRow = typeof twins.$inferInsert;
