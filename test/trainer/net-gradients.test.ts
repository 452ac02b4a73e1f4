/**
 * End to end: the gradients of a whole elastic subnet (WASM-friendly conv gradients, closed-form
 * BN gradient) equal TensorFlow.js's own autodiff of the same network on the reference `cpu`
 * backend (built-in conv kernels and gradients, BN as plain arithmetic).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SubnetConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { SPACES } from '../../core/space';
import { randomSupernetWeights } from '../../models/random-weights';
import { initBackend, useBackend, type BackendName } from '../../trainer/backend';
import * as conv from '../../trainer/ops/conv';
import * as layers from '../../trainer/ops/layers';
import { forwardNet } from '../../trainer/supernet/forward';
import { elasticView } from '../../trainer/supernet/net-weights';
import { SupernetParams } from '../../trainer/supernet/params';

const space = SPACES['ofa-mbv3-mini'];

function gradients(config: SubnetConfig, seed: number): Map<string, Float32Array> {
  const params = SupernetParams.fromWeights(randomSupernetWeights(space, seed));
  const rng = createRng(seed);
  const x = tf.tensor4d(Float32Array.from({ length: 4 * config.r * config.r }, () => rng.normal()), [4, config.r, config.r, 1]);
  const probe = tf.tensor2d(Float32Array.from({ length: 40 }, () => rng.normal()), [4, 10]);
  const vars = [...params.vars.values()];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(forwardNet(elasticView(params, config), x, { bn: { mode: 'batch', eps: 1e-5 } }), probe)) as tf.Scalar, vars);
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(name.replace(/#\d+$/, ''), g.dataSync() as Float32Array);
  tf.dispose([value, x, probe, ...Object.values(grads)]);
  params.dispose();
  return out;
}

describe('whole-network gradients', () => {
  let backend: BackendName = 'cpu';
  beforeAll(async () => {
    backend = (await initBackend()).name;
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await useBackend(backend);
  });

  it('match the cpu backend with built-in conv gradients and arithmetic BN', async () => {
    const config: SubnetConfig = { ks: Array(20).fill(7), e: Array(20).fill(4), d: [3, 2, 2, 2, 2], r: 20 };
    config.ks[0] = 3;
    config.ks[4] = 5;
    config.e[8] = 6;
    const ours = gradients(config, 11);
    await useBackend('cpu');
    // Reference: tfjs's own kernels and gradients (the cpu backend has them all), BN as arithmetic.
    vi.spyOn(conv, 'conv2d').mockImplementation((x, w, s) => tf.conv2d(x, w, s, Math.floor(w.shape[0] / 2)));
    vi.spyOn(conv, 'depthwiseConv2d').mockImplementation((x, w, s) => tf.depthwiseConv2d(x, w, s, Math.floor(w.shape[0] / 2)));
    vi.spyOn(layers, 'batchNorm').mockImplementation((x, bn, ctx) => {
      const mean = tf.mean(x, [0, 1, 2]);
      const c = tf.sub(x, mean);
      const v = tf.mean(tf.square(c), [0, 1, 2]);
      return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, ctx.eps))), bn.gamma), bn.beta) as tf.Tensor4D;
    });
    const reference = gradients(config, 11);
    const calls = (f: unknown) => (f as { mock: { calls: unknown[] } }).mock.calls.length;
    expect(calls(conv.depthwiseConv2d)).toBe(12);
    expect(calls(layers.batchNorm)).toBeGreaterThan(30);
    vi.restoreAllMocks();
    await useBackend(backend);
    expect([...ours.keys()].sort()).toEqual([...reference.keys()].sort());
    // Relative to each tensor's gradient scale, floored at 1e-2: some BN biases feeding another BN
    // have gradients that are zero in exact arithmetic and float noise (~1e-6) in both.
    for (const [name, want] of reference) {
      const got = ours.get(name)!;
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-2);
      const err = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0) / scale;
      expect(err, name).toBeLessThan(1e-3);
    }
  });
});
