/**
 * Accuracy data in the database: records (space, checkpoint, subnet, top-1) from the trainer or an
 * import, and accuracy predictors fitted on them (or imported, like the reference tutorial's),
 * versioned per space. The search takes the newest predictor of a space unless told otherwise.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { ValidationError, NotFoundError } from '../../core/errors';
import { SPACES, type SpaceName } from '../../core/space';
import { canonicalConfig, subnetId } from '../../core/subnet-id';
import type { Db } from '../../db/client';
import { accuracyPredictors, accuracyRecords, type AccuracyPredictorRow, type AccuracySource } from '../../db/schema/accuracy';
import { loadAccuracyPredictor, type AccuracyPredictor } from '../../models/accuracy-predictor';
import { checkAccuracyRecords, fitAccuracyPredictor, type FitAccuracyOptions } from '../../models/accuracy-predictor-fit';

const CHUNK = 500;
export const MAX_RECORDS_PER_IMPORT = 200_000;

/** Stores records; a record of a subnet already stored for the same checkpoint replaces it. */
export async function importAccuracyRecords(
  db: Db,
  input: { space: SpaceName; checkpoint: string; source: AccuracySource; records: readonly { config: unknown; top1: unknown }[] },
): Promise<{ stored: number }> {
  if (!input.checkpoint.trim()) throw new ValidationError('checkpoint must name the supernet the accuracies belong to');
  if (input.records.length === 0) throw new ValidationError('no accuracy records to import');
  if (input.records.length > MAX_RECORDS_PER_IMPORT) throw new ValidationError(`at most ${MAX_RECORDS_PER_IMPORT} records per import, got ${input.records.length}`);
  const space = SPACES[input.space];
  const records = checkAccuracyRecords(input.space, input.records);
  const rows = [
    ...new Map(
      records.map((r) => {
        const id = subnetId(space, r.config);
        return [id, { space: space.name, checkpointId: input.checkpoint, subnetId: id, config: canonicalConfig(space, r.config), r: r.config.r, top1: r.top1, source: input.source }];
      }),
    ).values(),
  ];
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await tx
        .insert(accuracyRecords)
        .values(rows.slice(i, i + CHUNK))
        .onConflictDoUpdate({
          target: [accuracyRecords.space, accuracyRecords.checkpointId, accuracyRecords.subnetId],
          set: { top1: sql`excluded.top1`, source: sql`excluded.source` },
        });
    }
  });
  return { stored: rows.length };
}

export async function listAccuracyRecords(db: Db, space: SpaceName, checkpoint?: string) {
  return db
    .select()
    .from(accuracyRecords)
    .where(and(eq(accuracyRecords.space, space), checkpoint ? eq(accuracyRecords.checkpointId, checkpoint) : undefined))
    .orderBy(accuracyRecords.id);
}

/** Stores a predictor as the next version of its space. */
export async function saveAccuracyPredictor(db: Db, predictor: AccuracyPredictor, opts: { checkpoint?: string | null; records?: number } = {}): Promise<AccuracyPredictorRow> {
  return db.transaction(async (tx) => {
    const [last] = await tx.select({ version: accuracyPredictors.version }).from(accuracyPredictors).where(eq(accuracyPredictors.space, predictor.space)).orderBy(desc(accuracyPredictors.version)).limit(1);
    const [row] = await tx
      .insert(accuracyPredictors)
      .values({
        space: predictor.space,
        origin: predictor.origin.kind === 'imported' ? 'imported-reference' : 'trained',
        checkpointId: opts.checkpoint ?? predictor.origin.checkpoint,
        version: (last?.version ?? 0) + 1,
        metrics: { ...(predictor.metrics ?? {}), label: predictor.origin.label, hash: predictor.version },
        model: predictor.toJSON() as unknown as Record<string, unknown>,
        nRecords: opts.records ?? predictor.metrics?.trainCount ?? 0,
      })
      .returning();
    return row;
  });
}

/** Fits the reference predictor on a space's records (one checkpoint's, or all) and stores it. */
export async function fitAndSaveAccuracyPredictor(
  db: Db,
  opts: { space: SpaceName; checkpoint?: string; fit?: Omit<FitAccuracyOptions, 'origin'> },
): Promise<{ row: AccuracyPredictorRow; predictor: AccuracyPredictor }> {
  const rows = await listAccuracyRecords(db, opts.space, opts.checkpoint);
  if (rows.length === 0) {
    throw new NotFoundError(`no accuracy records for ${opts.space}${opts.checkpoint ? ` and checkpoint ${opts.checkpoint}` : ''}; import some with \`ofa-farm accuracy import\``);
  }
  const checkpoints = [...new Set(rows.map((r) => r.checkpointId))];
  const predictor = fitAccuracyPredictor(
    opts.space,
    rows.map((r) => ({ config: r.config, top1: r.top1 })),
    {
      ...opts.fit,
      origin: {
        label: `fitted on ${rows.length} records of ${checkpoints.length === 1 ? `checkpoint ${checkpoints[0]}` : `${checkpoints.length} checkpoints`}`,
        checkpoint: checkpoints.length === 1 ? checkpoints[0] : null,
      },
    },
  );
  const row = await saveAccuracyPredictor(db, predictor, { checkpoint: checkpoints.length === 1 ? checkpoints[0] : null, records: rows.length });
  return { row, predictor };
}

export async function listAccuracyPredictors(db: Db, space?: SpaceName): Promise<AccuracyPredictorRow[]> {
  return db
    .select()
    .from(accuracyPredictors)
    .where(space ? eq(accuracyPredictors.space, space) : undefined)
    .orderBy(desc(accuracyPredictors.version));
}

/** The newest predictor of a space (or a given version), loaded; null when the space has none. */
export async function loadAccuracyPredictorRow(db: Db, space: SpaceName, version?: number): Promise<{ row: AccuracyPredictorRow; predictor: AccuracyPredictor } | null> {
  const [row] = await db
    .select()
    .from(accuracyPredictors)
    .where(and(eq(accuracyPredictors.space, space), version !== undefined ? eq(accuracyPredictors.version, version) : undefined))
    .orderBy(desc(accuracyPredictors.version))
    .limit(1);
  return row ? { row, predictor: loadAccuracyPredictor(row.model) } : null;
}
