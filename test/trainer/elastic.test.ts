/**
 * Elastic semantics of the TensorFlow.js supernet (shared/OFA-REFERENCE.md §2-§4): kernel
 * transforms, channel sorting, elastic depth, gradients into the transform matrices, and the
 * closed-form BN gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { midChannels, supernetBlockShape } from '../../core/arch';
import { maxConfig, uniformConfig, type SubnetConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { SPACES } from '../../core/space';
import { activeDepthwiseFilter } from '../../models/extract';
import { randomSupernetWeights } from '../../models/random-weights';
import { elasticBlockPrefix, supernetTensors } from '../../models/supernet-tensors';
import { initBackend } from '../../trainer/backend';
import { batchNorm } from '../../trainer/ops/layers';
import { sortChannels } from '../../trainer/supernet/channel-sort';
import { forwardNet } from '../../trainer/supernet/forward';
import { layoutOf, tfToTorch } from '../../trainer/supernet/layout';
import { activeDepthwise, elasticView } from '../../trainer/supernet/net-weights';
import { SupernetParams } from '../../trainer/supernet/params';

const space = SPACES['ofa-mbv3-mini'];

/** Random weights with non-trivial BN statistics, gammas and kernel matrices (so nothing is an identity by accident). */
function richTensors(seed: number, identityMatrices = false): Map<string, Float32Array> {
  const base = randomSupernetWeights(space, seed);
  const rng = createRng(seed + 1000);
  const out = new Map<string, Float32Array>();
  for (const spec of supernetTensors(space)) {
    const t = base.tensor(spec.name).slice();
    if (spec.name.endsWith('running_var')) t.forEach((_, i) => (t[i] = 0.5 + rng.next()));
    else if (spec.name.endsWith('running_mean') || /\.bn\.(bn\.)?bias$/.test(spec.name)) t.forEach((_, i) => (t[i] = 0.2 * rng.normal()));
    else if (/\.bn\.(bn\.)?weight$/.test(spec.name)) t.forEach((_, i) => (t[i] = 0.5 + rng.next()));
    else if (spec.name.endsWith('_matrix') && !identityMatrices) t.forEach((v, i) => (t[i] = v + 0.05 * rng.normal()));
    else if (spec.name.endsWith('.bias')) t.forEach((_, i) => (t[i] = 0.1 * rng.normal()));
    out.set(spec.name, t);
  }
  return out;
}

function paramsFrom(tensors: Map<string, Float32Array>): SupernetParams {
  return SupernetParams.fromWeights({ space, source: 'test', tensor: (name) => tensors.get(name)! });
}

function images(n: number, r: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * r * r }, () => rng.normal()), [n, r, r, 1]);
}

function runningLogits(p: SupernetParams, config: SubnetConfig, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => {
    const stats = (key: string, c: number) => ({ mean: p.runningStat(`${key}.running_mean`).subarray(0, c), variance: p.runningStat(`${key}.running_var`).subarray(0, c) });
    return forwardNet(elasticView(p, config), x, { bn: { mode: 'running', eps: space.bn.eps, stats } }).dataSync() as Float32Array;
  });
}

function batchLogits(p: SupernetParams, config: SubnetConfig, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => forwardNet(elasticView(p, config), x, { bn: { mode: 'batch', eps: space.bn.eps } }).dataSync() as Float32Array);
}

/** Writes the batch statistics of x into the running statistics (so running-mode outputs are O(1), not vanishing). */
function calibrateOn(p: SupernetParams, config: SubnetConfig, x: tf.Tensor4D): void {
  tf.tidy(() => {
    const record = (key: string, mean: tf.Tensor1D, variance: tf.Tensor1D) => {
      p.runningStat(`${key}.running_mean`).set(mean.dataSync());
      p.runningStat(`${key}.running_var`).set(variance.dataSync());
    };
    forwardNet(elasticView(p, config), x, { bn: { mode: 'batch', eps: space.bn.eps, record } });
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

function scale(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
}

describe('elastic supernet', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('a centred sub-kernel with identity matrices equals a plain crop (7 -> 5 -> 3)', () => {
    const p = paramsFrom(richTensors(1, true));
    const index = 6;
    const mid = supernetBlockShape(space, index).maxMid;
    const full = p.get(`${elasticBlockPrefix(index)}.depth_conv.conv.conv.weight`);
    for (const k of [5, 3]) {
      const start = (7 - k) / 2;
      const crop = tf.slice(full, [start, start, 0, 0], [k, k, mid, 1]).dataSync() as Float32Array;
      const transformed = activeDepthwise(p, index, mid, k).dataSync() as Float32Array;
      expect(maxAbsDiff(transformed, crop)).toBeLessThan(1e-6);
    }
    p.dispose();
  });

  it('trained matrices chain 7 -> 5 -> 3 on the transformed 5x5, as the independent extractor in models/', () => {
    const tensors = richTensors(2);
    const p = paramsFrom(tensors);
    const weights = { space, source: 'test', tensor: (name: string) => tensors.get(name)! };
    const index = 9;
    const mid = midChannels(supernetBlockShape(space, index).cin, 4);
    for (const k of [7, 5, 3]) {
      const ours = activeDepthwise(p, index, mid, k).dataSync() as Float32Array;
      const layout = layoutOf('x.depth_conv.w', [mid, 1, k, k]);
      const reference = activeDepthwiseFilter(space, weights, index, mid, k);
      const diff = maxAbsDiff(tfToTorch(layout, ours), reference);
      expect(diff).toBeLessThan(1e-5 * scale(reference));
      // With non-identity matrices a transformed kernel is not a plain crop.
      if (k < 7) expect(diff).toBeLessThan(maxAbsDiff(tfToTorch(layout, activeDepthwise(p, index, mid, k, false).dataSync() as Float32Array), reference));
    }
    p.dispose();
  });

  it('channel sorting (plain and banded) leaves the full network output unchanged', () => {
    const x = images(4, 28, 5);
    const config = maxConfig(space, 28);
    const calibrated = paramsFrom(richTensors(3));
    calibrateOn(calibrated, config, images(8, 28, 9));
    const tensors = calibrated.toTensors();
    calibrated.dispose();
    const before = paramsFrom(tensors);
    const refRunning = runningLogits(before, config, x);
    const refBatch = batchLogits(before, config, x);
    for (const [stage, expand] of [
      [0, [4, 6]],
      [1, [3, 4, 6]],
    ] as const) {
      const sorted = new Map([...tensors].map(([k, v]) => [k, v.slice()]));
      sortChannels(space, sorted, expand, stage);
      // Something really moved.
      const pl = `${elasticBlockPrefix(3)}.point_linear.conv.conv.weight`;
      expect(maxAbsDiff(sorted.get(pl)!, tensors.get(pl)!)).toBeGreaterThan(0);
      const after = paramsFrom(sorted);
      expect(scale(refRunning)).toBeGreaterThan(0.1);
      expect(maxAbsDiff(runningLogits(after, config, x), refRunning)).toBeLessThan(1e-4 * scale(refRunning));
      expect(maxAbsDiff(batchLogits(after, config, x), refBatch)).toBeLessThan(1e-4 * scale(refBatch));
      after.dispose();
    }
    before.dispose();
    x.dispose();
  });

  it('the banded sort keeps the channels of e=4 in front (only reordered within bands)', () => {
    const tensors = richTensors(4);
    sortChannels(space, tensors, [4, 6], 0);
    const index = 13;
    const { cin, cout, maxMid } = supernetBlockShape(space, index);
    const w4 = midChannels(cin, 4);
    const pl = `${elasticBlockPrefix(index)}.point_linear.conv.conv.weight`;
    const columnSums = (t: Float32Array) => Array.from({ length: maxMid }, (_, c) => Array.from({ length: cout }, (_, o) => Math.abs(t[o * maxMid + c])).reduce((a, b) => a + b, 0));
    const firstBand = new Set(columnSums(tensors.get(pl)!).slice(0, w4).map((v) => v.toFixed(6)));
    // Perturb importances so that a plain sort would pull tail channels forward.
    const t = tensors.get(pl)!;
    for (let o = 0; o < cout; o++) t[o * maxMid + maxMid - 1] *= 100;
    sortChannels(space, tensors, [3, 4, 6], 1);
    const sums = columnSums(tensors.get(pl)!);
    const after = new Set(sums.slice(0, w4).map((v) => v.toFixed(6)));
    expect([...after].sort()).toEqual([...firstBand].sort());
    for (let c = 1; c < w4; c++) expect(sums[c]).toBeLessThanOrEqual(sums[c - 1] + 1e-6);
  });

  it('a depth-2 stage equals running its first two blocks; its last blocks do not matter', () => {
    const tensors = richTensors(5);
    const p = paramsFrom(tensors);
    const x = images(3, 20, 6);
    const deep = uniformConfig(space, { k: 5, e: 4, d: 4, r: 20 });
    const shallow: SubnetConfig = { ...deep, d: [4, 2, 4, 4, 4] };
    const viaDepth = batchLogits(p, shallow, x);
    const manual = tf.tidy(() => {
      const net = elasticView(p, deep);
      // Stage 2 holds elastic blocks 4..7: keep 4 and 5, drop 6 and 7.
      const kept = { ...net, blocks: net.blocks.filter((b) => b.spec.elasticIndex === null || b.spec.elasticIndex < 6 || b.spec.elasticIndex > 7) };
      return forwardNet(kept, x, { bn: { mode: 'batch', eps: space.bn.eps } }).dataSync() as Float32Array;
    });
    expect(maxAbsDiff(viaDepth, manual)).toBeLessThan(1e-5 * scale(manual));
    expect(maxAbsDiff(viaDepth, batchLogits(p, deep, x))).toBeGreaterThan(1e-3);
    const changed = new Map(tensors);
    const w = `${elasticBlockPrefix(7)}.point_linear.conv.conv.weight`;
    changed.set(w, tensors.get(w)!.map((v) => v * 3 + 1));
    const p2 = paramsFrom(changed);
    expect(maxAbsDiff(batchLogits(p2, shallow, x), viaDepth)).toBe(0);
    expect(maxAbsDiff(batchLogits(p2, deep, x), batchLogits(p, deep, x))).toBeGreaterThan(1e-3);
    p.dispose();
    p2.dispose();
    x.dispose();
  });

  it('kernel matrices receive gradients exactly where a smaller kernel is active', () => {
    const p = paramsFrom(richTensors(6));
    const x = images(4, 16, 7);
    const config = uniformConfig(space, { k: 7, e: 6, d: 4, r: 16 });
    config.ks[0] = 3;
    config.ks[1] = 5;
    const names = [0, 1, 2].flatMap((i) => ['5to3_matrix', '7to5_matrix'].map((m) => `${elasticBlockPrefix(i)}.depth_conv.conv.${m}`));
    const vars = names.map((n) => p.get(n));
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(forwardNet(elasticView(p, config), x, { bn: { mode: 'batch', eps: 1e-5 } }))) as tf.Scalar, vars);
    const norm = (i: number) => {
      const g = grads[vars[i].name];
      return g ? tf.sum(tf.abs(g)).dataSync()[0] : 0;
    };
    // block 0 (k=3): both matrices; block 1 (k=5): only 7to5; block 2 (k=7): none.
    expect(norm(0)).toBeGreaterThan(0);
    expect(norm(1)).toBeGreaterThan(0);
    expect(norm(2)).toBe(0);
    expect(norm(3)).toBeGreaterThan(0);
    expect(norm(4)).toBe(0);
    expect(norm(5)).toBe(0);
    tf.dispose([value, ...Object.values(grads), x]);
    p.dispose();
  });

  it('the closed-form BN gradient equals differentiating the arithmetic', () => {
    const rng = createRng(8);
    const x = tf.tensor4d(Float32Array.from({ length: 3 * 4 * 4 * 5 }, () => rng.normal() * 2 + 1), [3, 4, 4, 5]);
    const gamma = tf.tensor1d([0.5, 1, 1.5, 2, -1]);
    const beta = tf.tensor1d([0, 0.1, -0.2, 0.3, 1]);
    const probe = tf.tensor4d(Float32Array.from({ length: x.size }, () => rng.normal()), x.shape);
    const ours = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNorm(a as tf.Tensor4D, { key: 'k', gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D }, { mode: 'batch', eps: 1e-5 }), probe)));
    const plain = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const mean = tf.mean(a, [0, 1, 2]);
      const c = tf.sub(a, mean);
      const v = tf.mean(tf.square(c), [0, 1, 2]);
      return tf.sum(tf.mul(tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, 1e-5))), g), b), probe));
    });
    const got = ours([x, gamma, beta]);
    const want = plain([x, gamma, beta]);
    got.forEach((g, i) => {
      const w = want[i].dataSync() as Float32Array;
      expect(maxAbsDiff(g.dataSync() as Float32Array, w)).toBeLessThan(1e-4 * scale(w));
    });
  });
});
