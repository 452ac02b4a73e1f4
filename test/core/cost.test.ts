import { describe, expect, it } from 'vitest';
import { maxConfig, minConfig, uniformConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { SPACES } from '../../core/space';
import { buildArch } from '../../core/arch';

const w10 = SPACES['ofa-mbv3-w1.0'];
const w12 = SPACES['ofa-mbv3-w1.2'];
const mmacs = (macs: number) => Math.round(macs / 1e4) / 100;

describe('subnet cost matches the reference counts (OFA-REFERENCE.md §1.5)', () => {
  it('gives the three known values of the issue', () => {
    expect(mmacs(subnetCost(w10, uniformConfig(w10, { k: 3, e: 3, d: 4, r: 224 })).macs)).toBeCloseTo(226.2, 1);
    expect(subnetCost(w10, maxConfig(w10)).params / 1e6).toBeCloseTo(7.66, 2);
    expect(mmacs(subnetCost(w10, minConfig(w10, 128)).macs)).toBeCloseTo(41.48, 2);
  });

  it('matches the reference table for w1.0 and w1.2', () => {
    const table: Array<[typeof w10, 'max' | 'min', number, number, number]> = [
      [w10, 'max', 224, 566.2, 7.66],
      [w10, 'max', 160, 291.3, 7.66],
      [w10, 'max', 128, 188.2, 7.66],
      [w10, 'min', 224, 121.3, 3.41],
      [w10, 'min', 160, 63.2, 3.41],
      [w12, 'max', 224, 843.1, 10.7],
      [w12, 'max', 160, 433.6, 10.7],
      [w12, 'min', 224, 193.1, 4.6],
      [w12, 'min', 160, 100.3, 4.6],
    ];
    for (const [space, which, r, macs, params] of table) {
      const cost = subnetCost(space, which === 'max' ? maxConfig(space, r) : minConfig(space, r));
      // The reference table gives one decimal (188.2 for 188,249,xxx MACs): allow half a unit of it.
      expect(Math.abs(cost.macs / 1e6 - macs), `${space.name} ${which} @${r}`).toBeLessThan(0.05);
      expect(cost.params / 1e6, `${space.name} ${which} params`).toBeCloseTo(params, 2);
    }
    expect(subnetCost(w10, uniformConfig(w10, { k: 3, e: 3, d: 4, r: 224 })).params / 1e6).toBeCloseTo(4.37, 2);
  });

  it('ignores the entries of inactive blocks', () => {
    const a = minConfig(w10, 160);
    const b = { ...a, ks: a.ks.map((k, i) => (i % 4 >= 2 ? 7 : k)), e: a.e.map((e, i) => (i % 4 >= 2 ? 6 : e)) };
    expect(subnetCost(w10, b)).toEqual(subnetCost(w10, a));
  });
});

describe('architecture', () => {
  it('follows the reference feature-map sizes and residual rule', () => {
    const arch = buildArch(w10, maxConfig(w10, 224));
    expect(arch.stem.fout).toBe(112);
    expect(arch.blocks).toHaveLength(21);
    const stageOut = [1, 5, 9, 13, 17].map((i) => arch.blocks[i].fout);
    expect(stageOut).toEqual([56, 28, 14, 14, 7]);
    expect(arch.blocks.filter((b) => !b.skip).map((b) => b.stage)).toEqual([1, 2, 3, 4, 5]);
    expect(arch.blocks[0].skip).toBe(true);
    // Stage 2's first block: in 24, mid 24*6 = 144, SE mid make_divisible(36, 8) = 40.
    expect(arch.blocks.find((b) => b.stage === 2)?.seMid).toBe(40);
  });

  it('computes mid channels from the actual input width', () => {
    const arch = buildArch(w10, uniformConfig(w10, { k: 3, e: 3, d: 2, r: 224 }));
    expect(arch.blocks[1].mid).toBe(16 * 3);
    expect(arch.blocks[2].mid).toBe(24 * 3);
    // SE mid of 120 is make_divisible(30, 8) = 32 (OFA-REFERENCE.md §1.2).
    expect(arch.blocks.find((b) => b.stage === 2 && b.position === 1)?.seMid).toBe(32);
  });
});
