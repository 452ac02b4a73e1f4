/**
 * `ofa-farm accuracy build --checkpoint F --count N`: the reference's accuracy dataset. N distinct
 * subnets (with resolution) sampled uniformly, each BN-recalibrated and evaluated on the held-out
 * split, stored in the farm database as accuracy records of that checkpoint (its sha256), in
 * batches as they finish so an interrupted build keeps what it measured.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors';
import { SPACES } from '../../core/space';
import { openDb } from '../../db/client';
import { listAccuracyRecords, importAccuracyRecords } from '../../server/search/accuracy-store';
import { DEFAULT_FASHION_MNIST_DIR, loadFashionMnist } from '../../trainer/data/fashion-mnist';
import { splitData } from '../../trainer/data/dataset';
import { sampleUniqueConfigs } from '../../trainer/eval/accuracy-dataset';
import type { SubnetAccuracy } from '../../trainer/eval/evaluate-subnets';
import { formatDuration } from '../../trainer/train/progress';
import { cliDbTarget } from '../farm-home';
import { commandGroup, type CliContext } from '../main';
import { parseInteger } from '../options';
import { writeJsonLine } from '../output';

interface BuildOpts {
  checkpoint: string;
  count: string;
  seed: string;
  validLimit?: string;
  trainLimit?: string;
  data?: string;
  db?: string;
  out?: string;
  json?: boolean;
}

export function registerAccuracyBuildCommand(program: Command, ctx: CliContext): void {
  commandGroup(program, 'accuracy', 'Accuracy of subnets: records, predictors')
    .command('build')
    .description('Measure N sampled subnets of a trained checkpoint (BN recalibrated, held-out top-1) and store them as accuracy records')
    .requiredOption('--checkpoint <file>', '.ofa supernet checkpoint (records are keyed by its sha256)')
    .requiredOption('--count <n>', 'number of distinct subnets (with resolution) to measure')
    .option('--seed <n>', 'sampling seed', '0')
    .option('--valid-limit <n>', 'evaluate on the first N held-out images only (default: all 10,000)')
    .option('--data <dir>', `Fashion-MNIST directory (default ${DEFAULT_FASHION_MNIST_DIR})`)
    .option('--train-limit <n>', 'recalibrate BN on a subset of the first N training images only (tests)')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else PGlite in $OFA_FARM_HOME or ./.ofa-farm)')
    .option('--out <file>', 'also append every record as a JSON line to this file (for `accuracy import`)')
    .option('--json', 'one JSON line per measured subnet')
    .action(async (opts: BuildOpts) => {
      const count = parseInteger(opts.count, '--count', 1, 100_000);
      const seed = parseInteger(opts.seed, '--seed', 0);
      const validLimit = opts.validLimit === undefined ? undefined : parseInteger(opts.validLimit, '--valid-limit', 1);
      let bytes: Buffer;
      try {
        bytes = await readFile(opts.checkpoint);
      } catch (error) {
        throw new ValidationError(`cannot read checkpoint ${opts.checkpoint}: ${(error as Error).message}`);
      }
      const checkpointId = createHash('sha256').update(bytes).digest('hex');
      // TensorFlow.js takes seconds to load: imported only by the commands that use it.
      const { loadSupernet } = await import('../../trainer/checkpoint-io');
      const { initBackend } = await import('../../trainer/backend');
      const { evaluateSubnets } = await import('../../trainer/eval/evaluate-subnets');
      const { params, checkpoint } = await loadSupernet(opts.checkpoint);
      const space = SPACES[checkpoint.space];
      const trainLimit = opts.trainLimit === undefined ? undefined : parseInteger(opts.trainLimit, '--train-limit', 64);
      const data = splitData(loadFashionMnist(opts.data ?? DEFAULT_FASHION_MNIST_DIR).train, { trainLimit });
      const backend = await initBackend();
      ctx.io.err.write(`backend: ${backend.description}\n`);
      const handle = await openDb(cliDbTarget(opts));
      const { appendFile } = await import('node:fs/promises');
      try {
        const stored = new Set((await listAccuracyRecords(handle.db, space.name, checkpointId)).map((r) => r.subnetId));
        const configs = sampleUniqueConfigs(space, count, seed, stored);
        ctx.io.err.write(`measuring ${configs.length} subnets of ${opts.checkpoint} (sha256 ${checkpointId.slice(0, 12)}; ${stored.size} already stored)\n`);
        const pending: SubnetAccuracy[] = [];
        const flush = async () => {
          if (pending.length === 0) return;
          await importAccuracyRecords(handle.db, { space: space.name, checkpoint: checkpointId, source: 'trainer', records: pending.map((r) => ({ config: r.config, top1: r.top1 })) });
          pending.length = 0;
        };
        const started = performance.now();
        await evaluateSubnets(params, configs, data, {
          validLimit,
          seed,
          onResult: async (r, i) => {
            pending.push(r);
            const line = { id: r.subnetId, config: r.config, top1: r.top1, count: r.count, macs: r.macs };
            if (opts.json) writeJsonLine(ctx.io, line);
            if (opts.out) await appendFile(opts.out, `${JSON.stringify({ config: r.config, top1: r.top1 })}\n`);
            const elapsed = (performance.now() - started) / 1000;
            ctx.io.err.write(`  [${i + 1}/${configs.length}] r=${r.config.r} top1 ${(100 * r.top1).toFixed(2)}% ETA ${formatDuration((elapsed / (i + 1)) * (configs.length - i - 1))}\n`);
            if (pending.length >= 10) await flush();
          },
        });
        await flush();
        if (!opts.json) ctx.io.out.write(`stored ${configs.length} accuracy records for checkpoint ${checkpointId} (${space.name})\n`);
      } finally {
        await handle.close();
        params.dispose();
      }
    });
}
