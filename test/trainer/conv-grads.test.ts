/**
 * The WASM-friendly gradients of trainer/ops/conv.ts against TensorFlow.js's own gradients on the
 * reference `cpu` backend (which has every backprop kernel), over kernels, strides and odd/even sizes.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, useBackend } from '../../trainer/backend';
import { conv2d, depthwiseConv2d } from '../../trainer/ops/conv';
import { createRng } from '../../core/rng';

function randn(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

interface Grads {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

function run(kind: 'dense' | 'depthwise', custom: boolean, xs: number[], ws: number[], stride: number, seed: number): Grads {
  const x = tf.tensor4d(randn(xs.reduce((a, b) => a * b), seed), xs as [number, number, number, number]);
  const w = tf.tensor4d(randn(ws.reduce((a, b) => a * b), seed + 1), ws as [number, number, number, number]);
  const k = ws[0];
  const p = Math.floor(k / 2);
  const f = (a: tf.Tensor, b: tf.Tensor) => {
    const a4 = a as tf.Tensor4D;
    const b4 = b as tf.Tensor4D;
    const y = custom
      ? kind === 'dense'
        ? conv2d(a4, b4, stride)
        : depthwiseConv2d(a4, b4, stride)
      : kind === 'dense'
        ? tf.conv2d(a4, b4, stride, p)
        : tf.depthwiseConv2d(a4, b4, stride, p);
    // A non-uniform upstream gradient exercises every output position differently.
    const probe = tf.tensor(randn(y.size, seed + 2), y.shape);
    return tf.sum(tf.mul(y, probe)) as tf.Scalar;
  };
  const { grads } = tf.valueAndGrads(f)([x, w]);
  const y = custom ? (kind === 'dense' ? conv2d(x, w, stride) : depthwiseConv2d(x, w, stride)) : kind === 'dense' ? tf.conv2d(x, w, stride, p) : tf.depthwiseConv2d(x, w, stride, p);
  const out = { y: y.dataSync() as Float32Array, dx: grads[0].dataSync() as Float32Array, dw: grads[1].dataSync() as Float32Array };
  tf.dispose([x, w, y, ...grads]);
  return out;
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

const CASES: { kind: 'dense' | 'depthwise'; x: number[]; k: number; s: number; cout?: number }[] = [
  { kind: 'dense', x: [2, 9, 9, 1], k: 3, s: 2, cout: 4 },
  { kind: 'dense', x: [2, 8, 8, 3], k: 3, s: 2, cout: 5 },
  { kind: 'dense', x: [1, 7, 7, 2], k: 5, s: 1, cout: 3 },
  { kind: 'depthwise', x: [2, 8, 8, 3], k: 3, s: 1 },
  { kind: 'depthwise', x: [2, 7, 7, 4], k: 5, s: 2 },
  { kind: 'depthwise', x: [2, 8, 8, 4], k: 7, s: 2 },
  { kind: 'depthwise', x: [3, 4, 4, 2], k: 7, s: 1 },
  { kind: 'depthwise', x: [2, 2, 2, 3], k: 7, s: 2 },
  { kind: 'depthwise', x: [2, 1, 1, 3], k: 5, s: 1 },
  { kind: 'depthwise', x: [2, 1, 1, 3], k: 7, s: 1 },
  { kind: 'depthwise', x: [2, 3, 3, 2], k: 3, s: 2 },
  { kind: 'depthwise', x: [2, 4, 4, 2], k: 5, s: 2 },
  { kind: 'depthwise', x: [2, 2, 2, 3], k: 3, s: 1 },
];

describe('custom conv gradients match the cpu backend', () => {
  let backend = 'cpu';
  beforeAll(async () => {
    backend = (await initBackend()).name;
  });
  afterAll(async () => {
    await useBackend(backend as 'wasm');
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.kind} k${c.k} s${c.s} x${c.x.join('x')}`, async () => {
      const ws = c.kind === 'dense' ? [c.k, c.k, c.x[3], c.cout ?? 1] : [c.k, c.k, c.x[3], 1];
      await useBackend('cpu');
      const ref = run(c.kind, false, c.x, ws, c.s, 100 + i * 7);
      await useBackend(backend as 'wasm');
      const got = run(c.kind, true, c.x, ws, c.s, 100 + i * 7);
      expect(maxRelErr(got.y, ref.y)).toBeLessThan(1e-5);
      expect(maxRelErr(got.dw, ref.dw)).toBeLessThan(1e-5);
      expect(maxRelErr(got.dx, ref.dx)).toBeLessThan(1e-5);
    });
  }
});
