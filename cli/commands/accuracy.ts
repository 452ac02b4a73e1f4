/**
 * `ofa-farm accuracy import FILE.jsonl | fit | predictors`: accuracy records (config + top-1 per
 * line) into the farm database, and the reference accuracy predictor fitted on them, with its
 * held-out RMSE. Like `accuracy import-predictor`, these open the farm database directly.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors';
import type { SpaceName } from '../../core/space';
import { openDb, type Db } from '../../db/client';
import { defaultEpochs } from '../../models/accuracy-predictor-fit';
import { fitAndSaveAccuracyPredictor, importAccuracyRecords, listAccuracyPredictors } from '../../server/search/accuracy-store';
import { cliDbTarget } from '../farm-home';
import { commandGroup, type CliContext } from '../main';
import { parseChoice, parseInteger, parseSpace } from '../options';
import { formatTable, writeJsonLine } from '../output';

async function withDb<T>(opts: { db?: string }, fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openDb(cliDbTarget(opts));
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/**
 * One record per line: {"config": {...}, "top1": 0.7712} (top-1 as a fraction), or the config's
 * fields at the top level next to top1. `--percent` reads top1 in percent (the reference's unit).
 */
export function parseAccuracyLines(text: string, percent: boolean): { config: unknown; top1: unknown }[] {
  const out: { config: unknown; top1: unknown }[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ValidationError(`line ${i + 1}: not JSON: ${(error as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(`line ${i + 1}: expected a JSON object with config and top1`);
    const { config, top1, ...rest } = value as Record<string, unknown>;
    if (top1 === undefined) throw new ValidationError(`line ${i + 1}: top1 is missing`);
    const scaled = percent && typeof top1 === 'number' ? top1 / 100 : top1;
    if (!percent && typeof top1 === 'number' && top1 > 1) {
      throw new ValidationError(`line ${i + 1}: top1 = ${top1} is not a fraction in [0, 1]; give --percent if the file holds percentages`);
    }
    out.push({ config: config ?? rest, top1: scaled });
  });
  if (out.length === 0) throw new ValidationError('the file holds no accuracy records');
  return out;
}

export function registerAccuracyCommands(program: Command, ctx: CliContext): void {
  const accuracy = commandGroup(program, 'accuracy', 'Accuracy of subnets: records, predictors');

  accuracy
    .command('import')
    .description('Store accuracy records: one JSON line per subnet, {"config": {...}, "top1": 0.771}')
    .argument('<file>', 'JSON lines file')
    .requiredOption('--space <name>', 'search space of the configs')
    .requiredOption('--checkpoint <id>', 'the supernet checkpoint the accuracies were measured on (a name or sha256)')
    .option('--percent', 'top1 values are percentages (76.5), not fractions')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else PGlite in $OFA_FARM_HOME or ./.ofa-farm)')
    .option('--json', 'print one JSON line with the result')
    .action(async (file: string, opts: { space: string; checkpoint: string; percent?: boolean; db?: string; json?: boolean }) => {
      const space = parseSpace(opts.space);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new ValidationError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const records = parseAccuracyLines(text, Boolean(opts.percent));
      const result = await withDb(opts, (db) => importAccuracyRecords(db, { space: space.name as SpaceName, checkpoint: opts.checkpoint, source: 'import', records }));
      if (opts.json) return writeJsonLine(ctx.io, { space: space.name, checkpoint: opts.checkpoint, ...result });
      ctx.io.out.write(`stored ${result.stored} accuracy records of ${space.name} (checkpoint ${opts.checkpoint})\n`);
    });

  accuracy
    .command('fit')
    .description('Fit the reference accuracy predictor (3 x 400 MLP, OFA encoding, mean-accuracy offset) on stored records and store it')
    .requiredOption('--space <name>', 'search space')
    .option('--checkpoint <id>', 'only the records of this checkpoint (default: all of the space)')
    .option('--epochs <n>', 'training epochs (default: about 600 optimizer steps)')
    .option('--seed <k>', 'random seed (split, initialisation, batches)', '0')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else PGlite in $OFA_FARM_HOME or ./.ofa-farm)')
    .option('--json', 'print one JSON line with the result')
    .action(async (opts: { space: string; checkpoint?: string; epochs?: string; seed: string; db?: string; json?: boolean }) => {
      const space = parseSpace(opts.space);
      const epochs = opts.epochs !== undefined ? parseInteger(opts.epochs, '--epochs', 1, 10_000) : undefined;
      const seed = parseInteger(opts.seed, '--seed', 0);
      const progress = (epoch: number, loss: number) => {
        if (ctx.io.isTty) ctx.io.err.write(`\repoch ${epoch + 1}: training loss ${loss.toExponential(3)}   `);
      };
      const { row, predictor } = await withDb(opts, (db) =>
        fitAndSaveAccuracyPredictor(db, { space: space.name as SpaceName, checkpoint: opts.checkpoint, fit: { epochs, seed, onEpoch: progress } }),
      );
      if (ctx.io.isTty) ctx.io.err.write('\n');
      const m = predictor.metrics!;
      if (opts.json) return writeJsonLine(ctx.io, { space: space.name, version: row.version, hash: predictor.version, origin: predictor.origin, metrics: m });
      const rmse = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(2)} points`);
      ctx.io.out.write(
        `accuracy predictor ${space.name} version ${row.version} (${predictor.origin.label})\n` +
          `  trained on ${m.trainCount} records for ${m.epochs} epochs (default would be ${defaultEpochs(m.trainCount, 256)}), ` +
          `train RMSE ${rmse(m.trainRmse)}, held-out RMSE ${rmse(m.heldOutRmse)} on ${m.heldOutCount} records never trained on\n`,
      );
    });

  accuracy
    .command('predictors')
    .description('Stored accuracy predictors with their origin and held-out RMSE')
    .option('--space <name>', 'only this space')
    .option('--format <f>', 'table or json', 'table')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else PGlite in $OFA_FARM_HOME or ./.ofa-farm)')
    .action(async (opts: { space?: string; format: string; db?: string }) => {
      const space = opts.space ? (parseSpace(opts.space).name as SpaceName) : undefined;
      const format = parseChoice(opts.format, '--format', ['table', 'json'] as const);
      const rows = await withDb(opts, (db) => listAccuracyPredictors(db, space));
      if (format === 'json') return rows.forEach((r) => writeJsonLine(ctx.io, { id: r.id, space: r.space, version: r.version, origin: r.origin, checkpoint: r.checkpointId, metrics: r.metrics, records: r.nRecords }));
      if (rows.length === 0) return void ctx.io.out.write('no accuracy predictors yet; `ofa-farm accuracy import` then `ofa-farm accuracy fit`\n');
      const rmse = (m: Record<string, unknown>) => (typeof m.heldOutRmse === 'number' ? `${(100 * m.heldOutRmse).toFixed(2)}` : '-');
      ctx.io.out.write(
        formatTable(
          ['space', 'version', 'origin', 'checkpoint', 'records', 'held-out RMSE (points)', 'label'],
          rows.map((r) => [r.space, r.version, r.origin, r.checkpointId, r.nRecords, rmse(r.metrics), String(r.metrics.label ?? '')]),
        ),
      );
    });
}
