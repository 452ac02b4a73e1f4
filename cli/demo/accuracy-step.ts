/**
 * `demo --train`, second step: the accuracy dataset and predictor of the trained supernet (§6),
 * stored in the coordinator's database, so the fronts step maximises predicted top-1 instead of
 * the MACs proxy. Subnets already measured for this checkpoint (its sha256) are kept and only the
 * missing ones are measured; an existing predictor fitted on exactly these records is reused.
 * Runs in the demo process (the database is the coordinator's PGlite); each subnet blocks the
 * event loop for well under a second, so the coordinator keeps answering.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SPACES } from '../../core/space';
import { fitAndSaveAccuracyPredictor, importAccuracyRecords, listAccuracyPredictors, listAccuracyRecords } from '../../server/search/accuracy-store';
import { formatDuration } from '../../trainer/train/progress';
import type { DemoStep } from './context';
import { DEMO_TRAIN_SPACE } from './train-step';

export const accuracyStep: DemoStep = {
  name: 'accuracy predictor',
  async run(ctx) {
    const train = ctx.options.train;
    if (!train || !ctx.checkpoint) return;
    const space = SPACES[DEMO_TRAIN_SPACE];
    const db = ctx.coordinator.db.db;
    const sha = createHash('sha256').update(await readFile(ctx.checkpoint)).digest('hex');
    // TensorFlow.js takes seconds to load: only `demo --train` loads it.
    const { initBackend } = await import('../../trainer/backend');
    const { loadSupernet } = await import('../../trainer/checkpoint-io');
    const { loadFashionMnist, DEFAULT_FASHION_MNIST_DIR } = await import('../../trainer/data/fashion-mnist');
    const { splitData } = await import('../../trainer/data/dataset');
    const { sampleUniqueConfigs } = await import('../../trainer/eval/accuracy-dataset');
    const { evaluateSubnets } = await import('../../trainer/eval/evaluate-subnets');

    const stored = new Set((await listAccuracyRecords(db, space.name, sha)).map((r) => r.subnetId));
    const missing = Math.max(0, train.accuracyCount - stored.size);
    if (missing > 0) {
      const data = splitData(loadFashionMnist(train.data ?? DEFAULT_FASHION_MNIST_DIR).train, { trainLimit: train.trainLimit });
      const backend = await initBackend();
      const { params } = await loadSupernet(ctx.checkpoint, false);
      const configs = sampleUniqueConfigs(space, missing, ctx.options.seed, stored);
      const images = Math.min(train.validLimit ?? data.valid.length, data.valid.length);
      ctx.io.out.write(
        `\naccuracy dataset: ${missing} sampled subnets of ${sha.slice(0, 12)} (${stored.size} already stored), each BN-recalibrated and measured on ${images} held-out images (${backend.description}; onnxruntime-node)\n`,
      );
      const started = performance.now();
      const pending: { config: unknown; top1: number }[] = [];
      const flush = async () => {
        if (pending.length === 0) return;
        await importAccuracyRecords(db, { space: space.name, checkpoint: sha, source: 'trainer', records: pending.splice(0) });
      };
      let sum = 0;
      const every = Math.max(1, Math.round(missing / 10));
      try {
        await evaluateSubnets(params, configs, data, {
          validLimit: train.validLimit,
          seed: ctx.options.seed,
          onResult: async (r, i) => {
            pending.push({ config: r.config, top1: r.top1 });
            sum += r.top1;
            if (pending.length >= 10) await flush();
            if ((i + 1) % every === 0 || i + 1 === configs.length) {
              const elapsed = (performance.now() - started) / 1000;
              ctx.io.err.write(`  measured ${i + 1}/${configs.length} subnets, mean top-1 ${((100 * sum) / (i + 1)).toFixed(2)}%, ETA ${formatDuration((elapsed / (i + 1)) * (configs.length - i - 1))}\n`);
            }
            // Let the coordinator's timers and requests run between subnets.
            await new Promise((resolve) => setImmediate(resolve));
          },
        });
        await flush();
      } finally {
        params.dispose();
      }
      ctx.io.out.write(`measured ${missing} subnets in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    } else {
      ctx.io.out.write(`\naccuracy dataset: ${stored.size} subnets of ${sha.slice(0, 12)} already measured\n`);
    }

    const total = (await listAccuracyRecords(db, space.name, sha)).length;
    const [newest] = await listAccuracyPredictors(db, space.name);
    if (newest && newest.origin === 'trained' && newest.checkpointId === sha && newest.nRecords === total) {
      ctx.io.out.write(`accuracy predictor ${space.name} v${newest.version}: already fitted on these ${total} records, held-out RMSE ${rmse(newest.metrics.heldOutRmse)}\n`);
      return;
    }
    const { row, predictor } = await fitAndSaveAccuracyPredictor(db, { space: space.name, checkpoint: sha, fit: { seed: 0 } });
    const m = predictor.metrics!;
    ctx.io.out.write(
      `accuracy predictor ${space.name} v${row.version} (3 x 400 MLP on the OFA encoding): fitted on ${m.trainCount} records, ` +
        `held-out RMSE ${rmse(m.heldOutRmse)} on ${m.heldOutCount} records never trained on\n`,
    );
  },
};

function rmse(value: unknown): string {
  return typeof value === 'number' ? `${(100 * value).toFixed(2)} points` : '-';
}
