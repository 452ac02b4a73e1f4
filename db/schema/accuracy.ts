/**
 * Accuracy side: top-1 of subnets evaluated on a supernet checkpoint (from the trainer or
 * imported), and accuracy predictors fitted on those records (or the imported reference one).
 */
import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { SubnetConfig } from '../../core/config';
import { createdAt, oneOf } from './columns';

export const ACCURACY_SOURCES = ['trainer', 'import'] as const;
export type AccuracySource = (typeof ACCURACY_SOURCES)[number];
export const PREDICTOR_ORIGINS = ['trained', 'imported-reference'] as const;
export type PredictorOrigin = (typeof PREDICTOR_ORIGINS)[number];

export const accuracyRecords = pgTable(
  'accuracy_records',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    space: text('space').notNull(),
    /** sha256 of the checkpoint file (or a name for imported data without one). */
    checkpointId: text('checkpoint_id').notNull(),
    subnetId: text('subnet_id').notNull(),
    config: jsonb('config').$type<SubnetConfig>().notNull(),
    r: integer('r').notNull(),
    /** Top-1 accuracy as a fraction in [0, 1]. */
    top1: doublePrecision('top1').notNull(),
    source: text('source', { enum: ACCURACY_SOURCES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('accuracy_records_uq').on(t.space, t.checkpointId, t.subnetId),
    check('accuracy_records_top1_ck', sql`${t.top1} >= 0 and ${t.top1} <= 1`),
    check('accuracy_records_source_ck', oneOf(t.source, ACCURACY_SOURCES)),
  ],
);

export const accuracyPredictors = pgTable(
  'accuracy_predictors',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    space: text('space').notNull(),
    origin: text('origin', { enum: PREDICTOR_ORIGINS }).notNull(),
    checkpointId: text('checkpoint_id'),
    version: integer('version').notNull(),
    /** Held-out RMSE and friends. */
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull(),
    model: jsonb('model').$type<Record<string, unknown>>().notNull(),
    nRecords: integer('n_records').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('accuracy_predictors_version_uq').on(t.space, t.version),
    index('accuracy_predictors_checkpoint_idx').on(t.space, t.checkpointId),
    check('accuracy_predictors_origin_ck', oneOf(t.origin, PREDICTOR_ORIGINS)),
  ],
);

export type AccuracyRecordRow = typeof accuracyRecords.$inferSelect;
export type NewAccuracyRecordRow = typeof accuracyRecords.$inferInsert;
export type AccuracyPredictorRow = typeof accuracyPredictors.$inferSelect;
export type NewAccuracyPredictorRow = typeof accuracyPredictors.$inferInsert;
