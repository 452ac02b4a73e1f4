/**
 * Fashion-MNIST loading, splits and transforms: IDX parsing with clear errors, the fixed held-out
 * split, and the augmentation and resize invariants.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../core/rng';
import { ValidationError } from '../../core/errors';
import { randomCropFlip, resizeSquare } from '../../trainer/data/augment';
import { evalBatch, splitData, trainBatch } from '../../trainer/data/dataset';
import { loadFashionMnist, parseIdx } from '../../trainer/data/fashion-mnist';

function idx(magicType: number, dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, (0x08 << 8) | magicType, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...header, ...data]);
}

describe('Fashion-MNIST data', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fmnist-'));
    const n = 40;
    const images = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => (i * 7) % 256);
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    for (const [prefix, count] of [
      ['train', n],
      ['t10k', 10],
    ] as const) {
      await writeFile(join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(idx(3, [count, 28, 28], images.subarray(0, count * 784))));
      await writeFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(idx(1, [count], labels.subarray(0, count))));
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads gzipped IDX files and splits off a fixed held-out set', () => {
    const fm = loadFashionMnist(dir);
    expect(fm.train.count).toBe(40);
    expect(fm.test.count).toBe(10);
    const a = splitData(fm.train, { validSize: 10, bnSubsetSize: 8 });
    const b = splitData(fm.train, { validSize: 10, bnSubsetSize: 8 });
    expect(Array.from(a.valid)).toEqual(Array.from(b.valid));
    expect(a.train.length).toBe(30);
    expect(new Set([...a.train, ...a.valid]).size).toBe(40);
    expect(a.bnSubset.every((i) => a.train.includes(i))).toBe(true);
  });

  it('says how to get the files when they are missing, and names a corrupt file', async () => {
    expect(() => loadFashionMnist(join(dir, 'nowhere'))).toThrow(/apt-get install dataset-fashion-mnist.*--data DIR/);
    expect(() => parseIdx(new Uint8Array([0, 0, 9, 3, 0, 0, 0, 1]), 'x.idx')).toThrow(ValidationError);
    expect(() => parseIdx(idx(1, [5], new Uint8Array(2)), 'short.idx')).toThrow(/short.idx: truncated/);
  });

  it('crops with zero padding and flips without changing the pixel budget; resizing preserves a constant image', () => {
    const img = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i % 28 < 14 ? 200 : 0));
    const rng = createRng(1);
    for (let t = 0; t < 20; t++) {
      const out = randomCropFlip(img, 28, 2, rng);
      const lit = out.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
      // A shift of at most 2 pixels keeps between 12 and 16 lit columns on at least 26 rows.
      expect(lit).toBeGreaterThanOrEqual(12 * 26);
      expect(lit).toBeLessThanOrEqual(16 * 28);
    }
    const flat = new Float32Array(28 * 28).fill(0.7);
    for (const r of [16, 20, 24, 28]) {
      const out = resizeSquare(flat, 28, r);
      expect(out.length).toBe(r * r);
      expect(Math.max(...out.map((v) => Math.abs(v - 0.7)))).toBeLessThan(1e-5);
    }
  });

  it('builds NHWC batches at the requested resolution', () => {
    const fm = loadFashionMnist(dir);
    const splits = splitData(fm.train, { validSize: 10 });
    const t = trainBatch(fm.train, splits.train.subarray(0, 6), 20, createRng(2));
    expect(t.x.length).toBe(6 * 20 * 20);
    expect(Array.from(t.labels)).toEqual(Array.from(splits.train.subarray(0, 6), (i) => fm.train.labels[i]));
    const e1 = evalBatch(fm.train, splits.valid.subarray(0, 3), 16);
    const e2 = evalBatch(fm.train, splits.valid.subarray(0, 3), 16);
    expect(Array.from(e1.x)).toEqual(Array.from(e2.x));
  });
});
