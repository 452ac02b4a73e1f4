import { describe, expect, it } from 'vitest';
import { maxConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES } from '../../core/space';
import { canonicalConfig, subnetId } from '../../core/subnet-id';

const w10 = SPACES['ofa-mbv3-w1.0'];

describe('subnet id', () => {
  it('is the same for configs that build the same network', () => {
    const a = { ...maxConfig(w10, 192), d: [2, 3, 4, 2, 2] };
    const b = { ...a, ks: a.ks.map((k, i) => (i % 4 >= a.d[Math.floor(i / 4)] ? 3 : k)) };
    expect(subnetId(w10, a)).toBe(subnetId(w10, b));
    expect(canonicalConfig(w10, a).ks.slice(0, 4)).toEqual([7, 7, 0, 0]);
  });

  it('differs when an active block, the resolution or the space differs', () => {
    const a = maxConfig(w10, 192);
    expect(subnetId(w10, { ...a, r: 188 })).not.toBe(subnetId(w10, a));
    expect(subnetId(w10, { ...a, ks: [3, ...a.ks.slice(1)] })).not.toBe(subnetId(w10, a));
    expect(subnetId(SPACES['ofa-mbv3-w1.2'], a)).not.toBe(subnetId(w10, a));
  });

  it('is stable across runs (16 hex digits)', () => {
    expect(subnetId(w10, maxConfig(w10, 224))).toMatch(/^[0-9a-f]{16}$/);
    const ids = new Set(Array.from({ length: 500 }, (_, i) => subnetId(w10, sampleConfig(w10, createRng(i)))));
    expect(ids.size).toBe(500);
  });
});
