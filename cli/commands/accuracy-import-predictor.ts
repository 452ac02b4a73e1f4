/**
 * `ofa-farm accuracy import-predictor`: the reference tutorial's pretrained accuracy predictor
 * (`acc_predictor.pth`) becomes a farm accuracy predictor, stored in the farm database (origin
 * `imported-reference`) and/or written as JSON, for the search and the Pareto fronts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { maxConfig, minConfig } from '../../core/config';
import { ValidationError, errorMessage } from '../../core/errors';
import type { SpaceName } from '../../core/space';
import { openDb, type Db } from '../../db/client';
import { loadAccuracyPredictor, type AccuracyPredictor } from '../../models/accuracy-predictor';
import { importTutorialPredictor } from '../../models/reference-predictor';
import { listAccuracyPredictors, saveAccuracyPredictor } from '../../server/search/accuracy-store';
import { cliDbTarget } from '../farm-home';
import { commandGroup, type CliContext } from '../main';
import { parseSpace } from '../options';
import { writeJsonLine } from '../output';

interface ImportPredictorOpts {
  from: string;
  space: string;
  out?: string;
  store: boolean;
  db?: string;
  label?: string;
  checkpoint?: string;
  json?: boolean;
}

export interface StoredPredictor {
  id: number;
  /** The row's version number within the space. */
  version: number;
  /** False when the same weights were stored already (the import is idempotent). */
  created: boolean;
}

const INSERT_ATTEMPTS = 3;

/** The stored predictor of these exact weights, if any (rows carry the content hash in metrics). */
async function findStored(db: Db, predictor: AccuracyPredictor): Promise<StoredPredictor | null> {
  const rows = await listAccuracyPredictors(db, predictor.space);
  for (const row of rows) {
    if (row.origin !== 'imported-reference') continue;
    let hash = (row.metrics as { hash?: unknown }).hash;
    if (typeof hash !== 'string') {
      try {
        hash = loadAccuracyPredictor(row.model).version;
      } catch {
        continue; // a row this build cannot read is not the same predictor
      }
    }
    if (hash === predictor.version) return { id: row.id, version: row.version, created: false };
  }
  return null;
}

/** Stores an imported predictor as the space's next version, unless the same weights are stored already. */
export async function storeImportedPredictor(db: Db, predictor: AccuracyPredictor): Promise<StoredPredictor> {
  for (let attempt = 1; ; attempt++) {
    const existing = await findStored(db, predictor);
    if (existing) return existing;
    try {
      const row = await saveAccuracyPredictor(db, predictor);
      return { id: row.id, version: row.version, created: true };
    } catch (error) {
      // Another import took the same version number at the same time: look again.
      if (attempt >= INSERT_ATTEMPTS || !/accuracy_predictors_version_uq|unique|duplicate/i.test(errorMessage(error))) throw error;
    }
  }
}

function samples(predictor: AccuracyPredictor, space: ReturnType<typeof parseSpace>) {
  const r = space.resolutions;
  const configs = [
    { label: `max subnet @${r[r.length - 1]}`, config: maxConfig(space) },
    { label: `min subnet @${r[r.length - 1]}`, config: minConfig(space, r[r.length - 1]) },
    { label: `min subnet @${r[0]}`, config: minConfig(space) },
  ];
  const predicted = predictor.predict(configs.map((c) => c.config));
  return configs.map((c, i) => ({ subnet: c.label, predicted: predicted[i] }));
}

export function registerAccuracyImportPredictorCommand(program: Command, ctx: CliContext): void {
  commandGroup(program, 'accuracy', 'Accuracy of subnets: records, predictors')
    .command('import-predictor')
    .description(
      "Import the reference tutorial's accuracy predictor (acc_predictor.pth: Linear 128-400-400-400-1 over the tutorial's 128-d " +
        'encoding; holdout accuracy of the reference w1.2 supernet) as a farm accuracy predictor labelled with its origin. ' +
        'It ranks subnets well; its numbers run higher than ImageNet-val top-1.',
    )
    .requiredOption('--from <file.pth>', 'the predictor saved by PyTorch (no Python needed; nothing in it is executed)')
    .requiredOption('--space <name>', 'search space it predicts for (the tutorial predictor was fitted on ofa-mbv3-w1.2)')
    .option('--out <file.json>', 'also write the predictor as JSON')
    .option('--no-store', 'do not store it in the farm database')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else PGlite in $OFA_FARM_HOME or ./.ofa-farm)')
    .option('--label <text>', 'origin label shown with its numbers')
    .option('--checkpoint <name>', 'the supernet its accuracies belong to (default: the reference w1.2 release)')
    .option('--json', 'print one JSON line with the result')
    .action(async (opts: ImportPredictorOpts) => {
      const space = parseSpace(opts.space);
      if (!opts.store && opts.out === undefined) throw new ValidationError('--no-store without --out would keep nothing; give --out FILE.json');
      let bytes: Uint8Array;
      try {
        bytes = await readFile(opts.from);
      } catch (error) {
        throw new ValidationError(`cannot read ${opts.from}: ${(error as Error).message}`);
      }
      const predictor = importTutorialPredictor(bytes, {
        space: space.name as SpaceName,
        label: opts.from,
        ...(opts.label !== undefined ? { originLabel: opts.label } : {}),
        ...(opts.checkpoint !== undefined ? { checkpoint: opts.checkpoint } : {}),
      });
      if (opts.out !== undefined) {
        try {
          await writeFile(opts.out, `${JSON.stringify(predictor.toJSON())}\n`);
        } catch (error) {
          throw new ValidationError(`--out ${opts.out}: cannot write: ${(error as Error).message}`);
        }
      }
      let stored: (StoredPredictor & { db: string }) | null = null;
      if (opts.store) {
        const handle = await openDb(cliDbTarget(opts));
        try {
          stored = { ...(await storeImportedPredictor(handle.db, predictor)), db: handle.location };
        } finally {
          await handle.close();
        }
      }
      const sample = samples(predictor, space);
      if (opts.json) {
        writeJsonLine(ctx.io, { space: predictor.space, version: predictor.version, encoding: predictor.encoding, origin: predictor.origin, stored, out: opts.out ?? null, samples: sample });
        return;
      }
      const lines = [`imported ${predictor.origin.label} for ${predictor.space}: encoding ${predictor.encoding}, version ${predictor.version}`];
      if (space.name !== 'ofa-mbv3-w1.2') lines.push(`note: the tutorial predictor was fitted on ofa-mbv3-w1.2 accuracies, not ${space.name}`);
      if (stored) lines.push(`${stored.created ? 'stored' : 'already stored'} as accuracy predictor ${stored.id} (${predictor.space} version ${stored.version}) in ${stored.db}`);
      if (opts.out !== undefined) lines.push(`wrote ${opts.out}`);
      lines.push(`predicted accuracy: ${sample.map((s) => `${s.subnet} ${(s.predicted * 100).toFixed(2)}%`).join(', ')}`);
      ctx.io.out.write(`${lines.join('\n')}\n`);
    });
}
