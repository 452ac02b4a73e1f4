import { describe, expect, it } from 'vitest';
import { maxConfig, minConfig } from '../../core/config';
import { encodeOneHot, encodeOneHotBatch, oneHotLength } from '../../core/encode';
import { SPACES } from '../../core/space';

const w10 = SPACES['ofa-mbv3-w1.0'];

describe('OFA one-hot encoding', () => {
  it('lays out resolution, then kernel one-hots, then expand one-hots', () => {
    expect(oneHotLength(w10)).toBe(25 + 60 + 60);
    const v = encodeOneHot(w10, maxConfig(w10, 224));
    expect(Array.from(v.slice(0, 25)).indexOf(1)).toBe(24);
    expect(Array.from(v.slice(25, 28))).toEqual([0, 0, 1]);
    expect(Array.from(v.slice(85, 88))).toEqual([0, 0, 1]);
    expect(v.reduce((s, x) => s + x, 0)).toBe(1 + 20 + 20);
  });

  it('zeroes the one-hots of inactive blocks', () => {
    const v = encodeOneHot(w10, minConfig(w10, 128));
    expect(v[0]).toBe(1);
    expect(Array.from(v.slice(25 + 2 * 3, 25 + 4 * 3))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(v.reduce((s, x) => s + x, 0)).toBe(1 + 10 + 10);
  });

  it('encodes batches row by row', () => {
    const batch = encodeOneHotBatch(w10, [maxConfig(w10, 224), minConfig(w10, 128)]);
    expect(Array.from(batch.slice(oneHotLength(w10)))).toEqual(Array.from(encodeOneHot(w10, minConfig(w10, 128))));
  });
});
