import { describe, expect, it } from 'vitest';
import { createRng } from '../../../core/rng';
import { sampleConfig } from '../../../core/sample';
import { SPACES } from '../../../core/space';
import { subnetId } from '../../../core/subnet-id';
import { fitTwins } from '../../../server/twins/fit';
import { partKey, spaceParts, subnetParts } from '../../../server/twins/parts';
import { LatencyTable } from '../../../server/twins/table';
import { loadTwin } from '../../../server/twins/twin';

const w10 = SPACES['ofa-mbv3-w1.0'];

/**
 * A synthetic device whose parts cost what MACs do not say: depthwise 7x7 kernels are 3x slower
 * per MAC than 3x3, SE blocks pay a fixed cost, every part has an overhead. The device's subnet
 * latency is 1.05 x the part sum + 0.4 ms, with 1% noise.
 */
function syntheticPartMs(partKeyText: string, macs: number): number {
  const kernel = /-k(\d)-/.exec(partKeyText)?.[1];
  const perMac = kernel === '7' ? 3 : kernel === '5' ? 1.8 : 1;
  return 0.02 + (macs / 2e8) * perMac + (partKeyText.includes('-se-') ? 0.05 : 0);
}

function partMacs(part: ReturnType<typeof spaceParts>[number]): number {
  if (part.kind === 'block') {
    const b = part.block;
    return (b.expand !== 1 ? b.fin * b.fin * b.cin * b.mid : 0) + b.fout * b.fout * b.mid * (b.kernel * b.kernel + b.cout);
  }
  return part.kind === 'stem' ? part.resolution * part.resolution * 27 * 4 : part.featureSize * part.featureSize * 160 * 960;
}

describe('twin families', () => {
  const resolutions = [128, 160, 192, 224];
  const entries = new Map(spaceParts(w10, resolutions).map((part) => [partKey(part), syntheticPartMs(partKey(part), partMacs(part))]));
  const table = new LatencyTable(w10, entries);
  const rng = createRng(3);
  const samples = Array.from({ length: 150 }, () => {
    const config = sampleConfig(w10, rng, { r: resolutions });
    const sum = subnetParts(w10, config).reduce((s, part) => s + entries.get(partKey(part))!, 0);
    return { config, ms: (1.05 * sum + 0.4) * (1 + 0.01 * rng.normal()) };
  });

  it('cross-validation picks a family that explains the device, and the held-out numbers agree', () => {
    const result = fitTwins({ space: w10, device: 'synthetic', samples, table, seed: 1, learningCurveSizes: [20, 50] });
    const { report } = result;
    expect(report.counts).toEqual({ samples: 150, train: 120, heldOut: 30 });
    expect(['table-sum', 'ridge-table', 'boosted']).toContain(report.active);
    const held = (family: string) => report.families.find((f) => f.family === family)!.heldOut!;
    const bestHeldOut = Math.min(...report.families.filter((f) => f.heldOut).map((f) => f.heldOut!.rmspe));
    expect(held(report.active).rmspe).toBeLessThan(bestHeldOut * 1.5 + 0.005);
    expect(held('table-sum').within5).toBeGreaterThan(0.95);
    expect(held('macs').rmspe).toBeGreaterThan(2 * held('table-sum').rmspe);
    expect(report.families.find((f) => f.family === 'transfer')!.error).toMatch(/no other device/);
    expect(report.learningCurve.filter((p) => p.n === 20)).toHaveLength(report.families.filter((f) => f.cv).length);

    // Stored twins reload to the same predictions and versions.
    for (const twin of result.twins) {
      const again = loadTwin(JSON.parse(JSON.stringify(twin.toJSON())));
      expect(again.version).toBe(twin.version);
      const probe = samples.slice(0, 5).map((s) => s.config);
      expect(Array.from(again.predict(probe))).toEqual(Array.from(twin.predict(probe)));
    }
    const points = report.families.find((f) => f.family === report.active)!.heldOutPoints;
    expect(points).toHaveLength(30);
    expect(points[0].id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('transfers from another device with a handful of measurements', () => {
    const source = fitTwins({ space: w10, device: 'synthetic', samples, table, seed: 1, learningCurveSizes: [] }).active;
    // The new device is 1.7x slower with an extra fixed cost: a few measurements pin that down.
    const target = samples.map((s, i) => ({ config: s.config, ms: (1.7 * s.ms + 0.2) * (1 + 0.01 * Math.sin(i)) }));
    const few = fitTwins({ space: w10, device: 'new', samples: target.slice(0, 8), sources: [source], seed: 2, learningCurveSizes: [] });
    const twin = few.twins.find((t) => t.family === 'transfer')!;
    const rest = target.slice(8);
    const predicted = twin.predict(rest.map((s) => s.config));
    const within5 = rest.filter((s, i) => Math.abs(predicted[i] / s.ms - 1) <= 0.05).length / rest.length;
    expect(within5).toBeGreaterThan(0.9);
    expect(twin.toJSON().sources[0].device).toBe('synthetic');
    expect(subnetId(w10, rest[0].config)).toHaveLength(16);
  });

  it('interpolates parts measured at neighbouring sizes', () => {
    const config = sampleConfig(w10, createRng(9), { r: [176] });
    expect(table.covers(config)).toBe(true);
    const sum176 = table.sum(config);
    const sum160 = table.sum({ ...config, r: 160 });
    const sum192 = table.sum({ ...config, r: 192 });
    expect(sum176).toBeGreaterThan(sum160);
    expect(sum176).toBeLessThan(sum192);
  });
});
