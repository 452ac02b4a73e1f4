/**
 * Feature vectors for predictors. The OFA one-hot encoding (`MobileNetArchEncoder`):
 * [resolution one-hot | kernel one-hot per block | expand one-hot per block], with all-zero
 * one-hots for inactive blocks. Choice order follows the space's lists ([3,5,7], [3,4,6]).
 */
import { isBlockActive, type SubnetConfig } from './config';
import { elasticBlockCount, type SpaceDef } from './space';

export function oneHotLength(space: SpaceDef): number {
  const n = elasticBlockCount(space);
  return space.resolutions.length + n * space.kernelChoices.length + n * space.expandChoices.length;
}

/** Writes the encoding of one config into `out` at `offset`; returns `out`. */
export function encodeOneHotInto(space: SpaceDef, config: SubnetConfig, out: Float32Array, offset = 0): Float32Array {
  const n = elasticBlockCount(space);
  const nk = space.kernelChoices.length;
  const ne = space.expandChoices.length;
  const nr = space.resolutions.length;
  out.fill(0, offset, offset + oneHotLength(space));
  const rIndex = space.resolutions.indexOf(config.r);
  if (rIndex >= 0) out[offset + rIndex] = 1;
  for (let i = 0; i < n; i++) {
    if (!isBlockActive(space, config, i)) continue;
    const k = space.kernelChoices.indexOf(config.ks[i]);
    const e = space.expandChoices.indexOf(config.e[i]);
    if (k >= 0) out[offset + nr + i * nk + k] = 1;
    if (e >= 0) out[offset + nr + n * nk + i * ne + e] = 1;
  }
  return out;
}

export function encodeOneHot(space: SpaceDef, config: SubnetConfig): Float32Array {
  return encodeOneHotInto(space, config, new Float32Array(oneHotLength(space)));
}

/** Row-major matrix of encodings, one row per config, for vectorised predictor calls. */
export function encodeOneHotBatch(space: SpaceDef, configs: readonly SubnetConfig[]): Float32Array {
  const width = oneHotLength(space);
  const out = new Float32Array(width * configs.length);
  configs.forEach((config, row) => encodeOneHotInto(space, config, out, row * width));
  return out;
}
