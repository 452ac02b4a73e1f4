/**
 * Image transforms for 28x28 grey clothing images, in plain TypeScript so the same code feeds
 * TensorFlow.js and onnxruntime. Training: random crop with 2-pixel zero padding (the background
 * is black) and a horizontal flip (garments are left-right symmetric; vertical flips are not
 * label-preserving), then resize to the batch's resolution. Evaluation: resize only (the images
 * are already centred, so the reference's resize-then-centre-crop would only cut garment edges).
 * Resizing is PIL-style antialiased bilinear (triangle filter widened when shrinking).
 */
import type { Rng } from '../../core/rng';

/** Fashion-MNIST pixel statistics over the training set (values in [0, 1]). */
export const FASHION_MNIST_MEAN = 0.286;
export const FASHION_MNIST_STD = 0.353;

interface ResampleTable {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  taps: number;
}

const tables = new Map<string, ResampleTable>();

function resampleTable(src: number, dst: number): ResampleTable {
  const key = `${src}>${dst}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const scale = src / dst;
  const support = Math.max(1, scale);
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Float32Array(dst * taps);
  for (let i = 0; i < dst; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(src, Math.ceil(centre + support));
    let total = 0;
    for (let j = lo; j < hi && j - lo < taps; j++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - centre) / support));
      weights[i * taps + (j - lo)] = w;
      total += w;
    }
    const n = Math.min(hi - lo, taps);
    for (let j = 0; j < n; j++) weights[i * taps + j] /= total || 1;
    start[i] = lo;
    count[i] = n;
  }
  const table = { start, count, weights, taps };
  tables.set(key, table);
  return table;
}

/** Resizes a square single-channel image (row-major) from `src` to `dst` pixels per side. */
export function resizeSquare(image: Float32Array, src: number, dst: number, out = new Float32Array(dst * dst), outOffset = 0): Float32Array {
  if (src === dst) {
    out.set(image.subarray(0, src * src), outOffset);
    return out;
  }
  const t = resampleTable(src, dst);
  const rows = new Float32Array(src * dst);
  for (let y = 0; y < src; y++) {
    for (let x = 0; x < dst; x++) {
      let acc = 0;
      const s = t.start[x];
      for (let j = 0; j < t.count[x]; j++) acc += image[y * src + s + j] * t.weights[x * t.taps + j];
      rows[y * dst + x] = acc;
    }
  }
  for (let y = 0; y < dst; y++) {
    const s = t.start[y];
    for (let x = 0; x < dst; x++) {
      let acc = 0;
      for (let j = 0; j < t.count[y]; j++) acc += rows[(s + j) * dst + x] * t.weights[y * t.taps + j];
      out[outOffset + y * dst + x] = acc;
    }
  }
  return out;
}

/** Bytes -> normalised floats ((v / 255 - mean) / std). */
export function normalise(bytes: Uint8Array, out = new Float32Array(bytes.length)): Float32Array {
  for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i] / 255 - FASHION_MNIST_MEAN) / FASHION_MNIST_STD;
  return out;
}

/** Random crop of a zero-padded image (padding `pad`) plus a horizontal flip with p = 0.5. */
export function randomCropFlip(image: Uint8Array, size: number, pad: number, rng: Rng, out = new Uint8Array(size * size)): Uint8Array {
  const dx = rng.int(2 * pad + 1) - pad;
  const dy = rng.int(2 * pad + 1) - pad;
  const flip = rng.next() < 0.5;
  for (let y = 0; y < size; y++) {
    const sy = y + dy;
    for (let x = 0; x < size; x++) {
      const sx = x + dx;
      const inside = sy >= 0 && sy < size && sx >= 0 && sx < size;
      out[y * size + (flip ? size - 1 - x : x)] = inside ? image[sy * size + sx] : 0;
    }
  }
  return out;
}
