/**
 * BN recalibration (§5.5, `set_running_statistics`): run the subnet over a fixed subset of training
 * images (reference: 2,000 images in batches of 200, train transform at the subnet's resolution),
 * normalising every BN layer with the batch mean and biased variance, and keep batch-size-weighted
 * averages of the per-batch means and of the per-batch variances (not a pooled variance). The
 * result replaces `running_mean[:C]` / `running_var[:C]` of the layers the subnet uses.
 */
import * as tf from '@tensorflow/tfjs';
import type { SubnetConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { chunks, trainBatch, type DataSplits } from '../data/dataset';
import { forwardNet } from '../supernet/forward';
import { elasticView } from '../supernet/net-weights';
import type { SupernetParams } from '../supernet/params';

/** Recalibrated statistics by BN layer key (e.g. "blocks.3.conv.depth_conv.bn.bn"), C entries each. */
export type BnStatsMap = Map<string, { mean: Float32Array; variance: Float32Array }>;

export interface RecalibrationOptions {
  batchSize?: number;
  /** Seed of the (fixed) training augmentation of the subset. */
  seed?: number;
}

export function recalibrateBn(params: SupernetParams, config: SubnetConfig, data: DataSplits, opts: RecalibrationOptions = {}): BnStatsMap {
  const batchSize = opts.batchSize ?? 200;
  const sums = new Map<string, { mean: Float64Array; variance: Float64Array; n: number }>();
  let batchIndex = 0;
  for (const indices of chunks(data.bnSubset, batchSize)) {
    const batch = trainBatch(data.set, indices, config.r, createRng(`${opts.seed ?? 0}/bn/${batchIndex++}`));
    const n = batch.size;
    tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [n, config.r, config.r, params.space.inputChannels]);
      const record = (key: string, mean: tf.Tensor1D, variance: tf.Tensor1D) => {
        const m = mean.dataSync();
        const v = variance.dataSync();
        let s = sums.get(key);
        if (!s) {
          s = { mean: new Float64Array(m.length), variance: new Float64Array(m.length), n: 0 };
          sums.set(key, s);
        }
        for (let c = 0; c < m.length; c++) {
          s.mean[c] += n * m[c];
          s.variance[c] += n * v[c];
        }
        s.n += n;
      };
      forwardNet(elasticView(params, config), x, { bn: { mode: 'batch', eps: params.space.bn.eps, record } });
    });
  }
  const out: BnStatsMap = new Map();
  for (const [key, s] of sums) {
    out.set(key, { mean: Float32Array.from(s.mean, (v) => v / s.n), variance: Float32Array.from(s.variance, (v) => v / s.n) });
  }
  return out;
}

/**
 * The supernet's tensors (PyTorch layout) with the recalibrated statistics written into the
 * leading entries of each layer's running_mean / running_var, as `set_running_statistics` does.
 */
export function tensorsWithStats(params: SupernetParams, stats: BnStatsMap): Map<string, Float32Array> {
  const tensors = params.toTensors();
  for (const [key, s] of stats) {
    tensors.get(`${key}.running_mean`)!.set(s.mean);
    tensors.get(`${key}.running_var`)!.set(s.variance);
  }
  return tensors;
}
