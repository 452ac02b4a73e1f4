/**
 * The supernet is built from the space declaration, so the reference ImageNet spaces work too:
 * a w1.0 subnet's TensorFlow.js forward (running-statistics BN) equals its ONNX export run in
 * onnxruntime-node (3-channel stem, SE blocks, h-swish stages, 1000 classes).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES } from '../../core/space';
import { exportSubnet } from '../../models/export';
import { inMemoryWeights, randomSupernetWeights } from '../../models/random-weights';
import { initBackend } from '../../trainer/backend';
import { inferLogits } from '../../trainer/eval/evaluate';
import { tensorsWithStats, type BnStatsMap } from '../../trainer/eval/recalibrate';
import { onnxSession } from '../../trainer/eval/onnx-eval';
import { forwardNet } from '../../trainer/supernet/forward';
import { elasticView } from '../../trainer/supernet/net-weights';
import { SupernetParams } from '../../trainer/supernet/params';

describe('any space', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('a w1.0 subnet computes what its ONNX export computes', async () => {
    const space = SPACES['ofa-mbv3-w1.0'];
    const params = SupernetParams.fromWeights(randomSupernetWeights(space, 2));
    const config = sampleConfig(space, createRng(5), { r: [128] });
    const rng = createRng(6);
    const n = 2;
    const nhwc = Float32Array.from({ length: n * 128 * 128 * 3 }, () => rng.normal());
    // BN statistics from these very images, so activations keep their scale through 60 layers.
    const stats: BnStatsMap = new Map();
    tf.tidy(() => {
      const record = (key: string, mean: tf.Tensor1D, variance: tf.Tensor1D) => stats.set(key, { mean: mean.dataSync() as Float32Array, variance: variance.dataSync() as Float32Array });
      forwardNet(elasticView(params, config), tf.tensor4d(nhwc, [n, 128, 128, 3]), { bn: { mode: 'batch', eps: space.bn.eps, record } });
    });
    const ours = inferLogits(params, config, stats, nhwc, n);
    const onnx = exportSubnet({ space, config, weights: inMemoryWeights(space, tensorsWithStats(params, stats), 'test') });
    const session = await onnxSession(onnx.bytes);
    const theirs = new Float32Array(n * 1000);
    for (let b = 0; b < n; b++) {
      const nchw = new Float32Array(3 * 128 * 128);
      for (let c = 0; c < 3; c++) for (let p = 0; p < 128 * 128; p++) nchw[c * 128 * 128 + p] = nhwc[(b * 128 * 128 + p) * 3 + c];
      const result = await session.run({ input: new ort.Tensor('float32', nchw, [1, 3, 128, 128]) });
      theirs.set(result.logits.data as Float32Array, b * 1000);
    }
    await session.release();
    params.dispose();
    const scale = ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const diff = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs[i])), 0);
    expect(scale).toBeGreaterThan(0.05);
    expect(diff / scale).toBeLessThan(1e-4);
  }, 120_000);
});
