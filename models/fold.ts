/**
 * BN folding as a deployment does it: conv(x, W) then BN(gamma, beta, mean, var, eps) equals
 * conv(x, W * s) + (beta - mean * s) with s = gamma / sqrt(var + eps) per output channel.
 * Computed in float64, stored as float32.
 */
import type { ConvBn } from './extract';

export interface FoldedConv {
  weight: Float32Array;
  bias: Float32Array;
  shape: [number, number, number, number];
}

export function foldConvBn(layer: ConvBn, eps: number): FoldedConv {
  const [out] = layer.shape;
  const perOut = layer.weight.length / out;
  if (!Number.isInteger(perOut) || layer.bn.gamma.length !== out) {
    throw new Error(`cannot fold BN of ${layer.bn.gamma.length} channels into a conv of shape [${layer.shape.join(', ')}]`);
  }
  const weight = new Float32Array(layer.weight.length);
  const bias = new Float32Array(out);
  const { gamma, beta, mean, variance } = layer.bn;
  for (let o = 0; o < out; o++) {
    const scale = gamma[o] / Math.sqrt(variance[o] + eps);
    bias[o] = beta[o] - mean[o] * scale;
    const base = o * perOut;
    for (let i = 0; i < perOut; i++) weight[base + i] = layer.weight[base + i] * scale;
  }
  return { weight, bias, shape: layer.shape };
}
