/**
 * Encodings an accuracy predictor can read its subnets in.
 * - `ofa-onehot`: the repository's `MobileNetArchEncoder` (core/encode.ts): [r one-hot | k one-hot
 *   per block | e one-hot per block], the space's own resolution grid.
 * - `ofa-tutorial-128`: the tutorial predictor's `spec2feats` (ofa/tutorial/accuracy_predictor.py,
 *   the pretrained acc_predictor.pth): [k one-hot 20x3 | e one-hot 20x3 | r one-hot 8] with
 *   r index (r - 112) // 16, so r in 112..239 maps to 8 buckets. Skipped blocks are all zero.
 */
import type { SubnetConfig } from '../core/config';
import { isBlockActive } from '../core/config';
import { encodeOneHotBatch, oneHotLength } from '../core/encode';
import { ValidationError } from '../core/errors';
import { elasticBlockCount, type SpaceDef } from '../core/space';

export const ACCURACY_ENCODINGS = ['ofa-onehot', 'ofa-tutorial-128'] as const;
export type AccuracyEncoding = (typeof ACCURACY_ENCODINGS)[number];

const TUTORIAL_RESOLUTION_BUCKETS = 8;

export function encodingLength(space: SpaceDef, encoding: AccuracyEncoding): number {
  if (encoding === 'ofa-onehot') return oneHotLength(space);
  const n = elasticBlockCount(space);
  return n * space.kernelChoices.length + n * space.expandChoices.length + TUTORIAL_RESOLUTION_BUCKETS;
}

/** Why an encoding cannot describe a space's subnets, or null when it can. */
export function encodingMismatch(space: SpaceDef, encoding: AccuracyEncoding): string | null {
  if (encoding === 'ofa-onehot') return null;
  const outOfRange = space.resolutions.filter((r) => r < 112 || Math.floor((r - 112) / 16) >= TUTORIAL_RESOLUTION_BUCKETS);
  if (outOfRange.length > 0) return `the ofa-tutorial-128 encoding covers resolutions 112..239; ${space.name} has ${outOfRange.join(', ')}`;
  if (elasticBlockCount(space) !== 20) return `the ofa-tutorial-128 encoding needs 20 elastic blocks; ${space.name} has ${elasticBlockCount(space)}`;
  return null;
}

function encodeTutorialInto(space: SpaceDef, config: SubnetConfig, out: Float32Array, offset: number): void {
  const n = elasticBlockCount(space);
  const nk = space.kernelChoices.length;
  const ne = space.expandChoices.length;
  for (let i = 0; i < n; i++) {
    if (!isBlockActive(space, config, i)) continue;
    const k = space.kernelChoices.indexOf(config.ks[i]);
    const e = space.expandChoices.indexOf(config.e[i]);
    if (k >= 0) out[offset + i * nk + k] = 1;
    if (e >= 0) out[offset + n * nk + i * ne + e] = 1;
  }
  const bucket = Math.floor((config.r - 112) / 16);
  if (bucket < 0 || bucket >= TUTORIAL_RESOLUTION_BUCKETS) {
    throw new ValidationError(`resolution ${config.r} is outside the ofa-tutorial-128 encoding's range 112..239`);
  }
  out[offset + n * nk + n * ne + bucket] = 1;
}

/** Row-major [configs.length, encodingLength] matrix of one encoding. */
export function encodeBatch(space: SpaceDef, encoding: AccuracyEncoding, configs: readonly SubnetConfig[]): Float32Array {
  if (encoding === 'ofa-onehot') return encodeOneHotBatch(space, configs);
  const width = encodingLength(space, encoding);
  const out = new Float32Array(width * configs.length);
  configs.forEach((config, row) => encodeTutorialInto(space, config, out, row * width));
  return out;
}
