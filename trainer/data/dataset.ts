/**
 * Splits and batches. As in the reference (§5.3), a fixed held-out "valid" split is carved out of
 * the training set with its own seed; the BN-recalibration subset (§5.5) is the first images of
 * another fixed permutation of the remaining training images. Batches are NHWC floats; with one
 * input channel that is also the NCHW layout onnxruntime takes.
 */
import { createRng, type Rng } from '../../core/rng';
import { normalise, randomCropFlip, resizeSquare } from './augment';
import type { ImageSet } from './fashion-mnist';

/** Seeds of the splits (the reference's VALID_SEED and SUB_SEED). */
export const VALID_SEED = 2147483647;
export const SUB_SEED = 937162211;

export interface DataSplits {
  set: ImageSet;
  train: Int32Array;
  valid: Int32Array;
  /** Fixed training images for BN recalibration (reference: 2,000). */
  bnSubset: Int32Array;
}

export interface SplitOptions {
  validSize?: number;
  bnSubsetSize?: number;
  /** Use only the first N training images (tests, tiny runs). */
  trainLimit?: number;
}

function permutation(n: number, seed: number): Int32Array {
  return Int32Array.from(createRng(seed).shuffle(Array.from({ length: n }, (_, i) => i)));
}

export function splitData(set: ImageSet, opts: SplitOptions = {}): DataSplits {
  const validSize = opts.validSize ?? 10_000;
  if (validSize < 1 || validSize >= set.count) throw new Error(`validation split of ${validSize} does not fit ${set.count} training images`);
  const perm = permutation(set.count, VALID_SEED);
  const valid = perm.slice(0, validSize);
  let train = perm.slice(validSize);
  if (opts.trainLimit !== undefined) train = train.slice(0, opts.trainLimit);
  const subOrder = permutation(train.length, SUB_SEED);
  const bnSize = Math.min(opts.bnSubsetSize ?? 2000, train.length);
  const bnSubset = Int32Array.from(subOrder.subarray(0, bnSize), (i) => train[i]);
  return { set, train, valid, bnSubset };
}

export interface Batch {
  /** [size, r, r, 1] normalised floats. */
  x: Float32Array;
  labels: Int32Array;
  size: number;
  r: number;
}

/** A batch with the training transform (random crop + flip, then resize to r). */
export function trainBatch(set: ImageSet, indices: ArrayLike<number>, r: number, rng: Rng): Batch {
  const n = indices.length;
  const px = set.size * set.size;
  const x = new Float32Array(n * r * r);
  const labels = new Int32Array(n);
  const crop = new Uint8Array(px);
  const floats = new Float32Array(px);
  for (let b = 0; b < n; b++) {
    const i = indices[b];
    randomCropFlip(set.images.subarray(i * px, (i + 1) * px), set.size, 2, rng, crop);
    resizeSquare(normalise(crop, floats), set.size, r, x, b * r * r);
    labels[b] = set.labels[i];
  }
  return { x, labels, size: n, r };
}

/** A batch with the evaluation transform (resize only). */
export function evalBatch(set: ImageSet, indices: ArrayLike<number>, r: number): Batch {
  const n = indices.length;
  const px = set.size * set.size;
  const x = new Float32Array(n * r * r);
  const labels = new Int32Array(n);
  const floats = new Float32Array(px);
  for (let b = 0; b < n; b++) {
    const i = indices[b];
    resizeSquare(normalise(set.images.subarray(i * px, (i + 1) * px), floats), set.size, r, x, b * r * r);
    labels[b] = set.labels[i];
  }
  return { x, labels, size: n, r };
}

/** Consecutive chunks of at most `size` indices. */
export function* chunks(indices: Int32Array, size: number): Generator<Int32Array> {
  for (let start = 0; start < indices.length; start += size) yield indices.subarray(start, Math.min(indices.length, start + size));
}
