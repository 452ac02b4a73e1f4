/**
 * Top-1 accuracy of a subnet on held-out images (evaluation transform: resize to r), with BN
 * running on given statistics (normally fresh from recalibrateBn). TensorFlow.js path; see
 * onnx-eval.ts for the onnxruntime path.
 */
import * as tf from '@tensorflow/tfjs';
import type { SubnetConfig } from '../../core/config';
import { chunks, evalBatch } from '../data/dataset';
import type { ImageSet } from '../data/fashion-mnist';
import { forwardNet } from '../supernet/forward';
import { elasticView } from '../supernet/net-weights';
import type { SupernetParams } from '../supernet/params';
import type { BnStatsMap } from './recalibrate';

export interface EvalResult {
  /** Top-1 accuracy in [0, 1]. */
  accuracy: number;
  /** Mean cross-entropy. */
  loss: number;
  count: number;
}

export function statsSource(stats: BnStatsMap) {
  return (key: string, channels: number) => {
    const s = stats.get(key);
    if (!s || s.mean.length < channels) throw new Error(`no recalibrated statistics for BN layer ${key} (${channels} channels)`);
    return s.mean.length === channels ? s : { mean: s.mean.subarray(0, channels), variance: s.variance.subarray(0, channels) };
  };
}

/** Logits of a batch with running-statistics BN (the deployed network's function). */
export function inferLogits(params: SupernetParams, config: SubnetConfig, stats: BnStatsMap, x: Float32Array, n: number): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor4d(x, [n, config.r, config.r, params.space.inputChannels]);
    const logits = forwardNet(elasticView(params, config), input, { bn: { mode: 'running', eps: params.space.bn.eps, stats: statsSource(stats) } });
    return logits.dataSync() as Float32Array;
  });
}

/** Accuracy and loss from row-major logits. */
export function scoreLogits(logits: Float32Array, labels: Int32Array, classes: number): { correct: number; lossSum: number } {
  let correct = 0;
  let lossSum = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (row[c] > max) [max, best] = [row[c], c];
    let z = 0;
    for (let c = 0; c < classes; c++) z += Math.exp(row[c] - max);
    lossSum += Math.log(z) + max - row[labels[i]];
    if (best === labels[i]) correct++;
  }
  return { correct, lossSum };
}

export function evaluateTfjs(params: SupernetParams, config: SubnetConfig, stats: BnStatsMap, set: ImageSet, indices: Int32Array, batchSize = 500): EvalResult {
  let correct = 0;
  let lossSum = 0;
  for (const chunk of chunks(indices, batchSize)) {
    const batch = evalBatch(set, chunk, config.r);
    const s = scoreLogits(inferLogits(params, config, stats, batch.x, batch.size), batch.labels, params.space.numClasses);
    correct += s.correct;
    lossSum += s.lossSum;
  }
  return { accuracy: correct / indices.length, loss: lossSum / indices.length, count: indices.length };
}
