import { describe, expect, it } from 'vitest';
import { SPACES } from '../../core/space';
import { initKind, randomSupernetWeights } from '../../models/random-weights';

const w10 = SPACES['ofa-mbv3-w1.0'];

function stats(t: Float32Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t) {
    sum += v;
    sq += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / t.length;
  return { mean, std: Math.sqrt(sq / t.length - mean * mean), min, max };
}

describe('seeded random supernet weights (he_fout)', () => {
  const weights = randomSupernetWeights(w10, 7);

  it('initialises BN, kernel matrices and biases like the reference', () => {
    expect(weights.tensor('blocks.3.conv.depth_conv.bn.bn.weight').every((v) => v === 1)).toBe(true);
    expect(weights.tensor('blocks.3.conv.depth_conv.bn.bn.bias').every((v) => v === 0)).toBe(true);
    expect(weights.tensor('first_conv.bn.running_mean').every((v) => v === 0)).toBe(true);
    expect(weights.tensor('first_conv.bn.running_var').every((v) => v === 1)).toBe(true);
    expect(weights.tensor('blocks.6.conv.depth_conv.se.fc.reduce.bias').every((v) => v === 0)).toBe(true);
    expect(weights.tensor('classifier.linear.bias').every((v) => v === 0)).toBe(true);
    const m = weights.tensor('blocks.3.conv.depth_conv.conv.7to5_matrix');
    for (let i = 0; i < 25; i++) for (let j = 0; j < 25; j++) expect(m[i * 25 + j]).toBe(i === j ? 1 : 0);
    expect(initKind('blocks.3.conv.depth_conv.se.fc.expand.weight')).toBe('conv');
    expect(initKind('feature_mix_layer.conv.weight')).toBe('conv');
  });

  it('draws conv weights from N(0, sqrt(2 / (k*k*out))) and the classifier from U(±1/sqrt(in))', () => {
    const fm = stats(weights.tensor('feature_mix_layer.conv.weight'));
    expect(Math.abs(fm.mean)).toBeLessThan(0.001);
    expect(fm.std / Math.sqrt(2 / 1280)).toBeCloseTo(1, 2);
    const dw = stats(weights.tensor('blocks.20.conv.depth_conv.conv.conv.weight'));
    expect(dw.std / Math.sqrt(2 / (49 * 960))).toBeCloseTo(1, 1);
    const cl = stats(weights.tensor('classifier.linear.weight'));
    const bound = 1 / Math.sqrt(1280);
    expect(cl.min).toBeGreaterThanOrEqual(-bound);
    expect(cl.max).toBeLessThanOrEqual(bound);
    expect(cl.std / (bound / Math.sqrt(3))).toBeCloseTo(1, 2);
  });

  it('is deterministic per (seed, tensor) and independent of the order tensors are drawn in', () => {
    const a = randomSupernetWeights(w10, 7);
    const b = randomSupernetWeights(w10, 7);
    const x = a.tensor('blocks.9.conv.point_linear.conv.conv.weight');
    b.tensor('first_conv.conv.weight');
    b.tensor('blocks.2.conv.inverted_bottleneck.conv.conv.weight');
    expect(b.tensor('blocks.9.conv.point_linear.conv.conv.weight')).toEqual(x);
    const other = randomSupernetWeights(w10, 8).tensor('blocks.9.conv.point_linear.conv.conv.weight');
    expect(other).not.toEqual(x);
    expect(a.tensor('blocks.9.conv.point_linear.conv.conv.weight')).toBe(x);
  });

  it('rejects bad seeds and unknown tensor names', () => {
    expect(() => randomSupernetWeights(w10, -1)).toThrow(/seed must be a non-negative integer/);
    expect(() => randomSupernetWeights(w10, 1.5)).toThrow(/seed must be a non-negative integer/);
    expect(() => weights.tensor('blocks.21.conv.point_linear.conv.conv.weight')).toThrow(/not a tensor of the ofa-mbv3-w1.0 supernet/);
  });
});
