/**
 * BN recalibration has the reference semantics (§5.5): per batch, the batch mean and the biased
 * variance; over batches, averages weighted by batch size (an average of variances, not a pooled
 * variance). Checked on the stem's BN, whose input is known exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { minConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { SPACES } from '../../core/space';
import { randomSupernetWeights } from '../../models/random-weights';
import { initBackend } from '../../trainer/backend';
import { trainBatch, type DataSplits } from '../../trainer/data/dataset';
import { recalibrateBn, tensorsWithStats } from '../../trainer/eval/recalibrate';
import { SupernetParams } from '../../trainer/supernet/params';

const space = SPACES['ofa-mbv3-mini'];

describe('BN recalibration', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('averages batch means and biased batch variances with batch-size weights', () => {
    const rng = createRng(9);
    const count = 8;
    const set = { images: Uint8Array.from({ length: count * 784 }, () => rng.int(256)), labels: new Uint8Array(count), count, size: 28 };
    const data: DataSplits = { set, train: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), valid: Int32Array.from([0]), bnSubset: Int32Array.from([5, 1, 7, 2, 4]) };
    const params = SupernetParams.fromWeights(randomSupernetWeights(space, 4));
    const config = minConfig(space, 20);
    const stats = recalibrateBn(params, config, data, { batchSize: 3, seed: 2 });

    // By hand: the stem conv output of each batch (same augmentation seeds), its per-channel
    // mean and biased variance, then the batch-size-weighted averages.
    const batches = [data.bnSubset.subarray(0, 3), data.bnSubset.subarray(3)].map((idx, i) => trainBatch(set, idx, 20, createRng(`2/bn/${i}`)));
    const perBatch = batches.map((b) =>
      tf.tidy(() => {
        const y = tf.conv2d(tf.tensor4d(b.x, [b.size, 20, 20, 1]), params.get('first_conv.conv.weight') as tf.Tensor as tf.Tensor4D, 2, 1);
        const { mean, variance } = tf.moments(y, [0, 1, 2]);
        return { n: b.size, mean: mean.dataSync() as Float32Array, variance: variance.dataSync() as Float32Array };
      }),
    );
    const got = stats.get('first_conv.bn')!;
    const c = got.mean.length;
    expect(c).toBe(space.stem.width);
    for (let ch = 0; ch < c; ch++) {
      const mean = (3 * perBatch[0].mean[ch] + 2 * perBatch[1].mean[ch]) / 5;
      const variance = (3 * perBatch[0].variance[ch] + 2 * perBatch[1].variance[ch]) / 5;
      expect(got.mean[ch]).toBeCloseTo(mean, 4);
      expect(got.variance[ch]).toBeCloseTo(variance, 4);
    }
    // The pooled variance differs (it adds the spread between batch means): not what the reference does.
    const pooledGap = perBatch[0].mean.some((m, ch) => Math.abs(m - perBatch[1].mean[ch]) > 1e-3);
    expect(pooledGap).toBe(true);

    // Written into the leading entries of the layers the subnet uses; the rest untouched.
    const tensors = tensorsWithStats(params, stats);
    const key = 'blocks.1.conv.inverted_bottleneck.bn.bn';
    const mid = stats.get(key)!.mean.length;
    expect(mid).toBeLessThan(tensors.get(`${key}.running_mean`)!.length);
    expect(Array.from(tensors.get(`${key}.running_mean`)!.subarray(0, mid))).toEqual(Array.from(stats.get(key)!.mean));
    expect(Array.from(tensors.get(`${key}.running_var`)!.subarray(mid)).every((v) => v === 1)).toBe(true);
    params.dispose();
  });
});
