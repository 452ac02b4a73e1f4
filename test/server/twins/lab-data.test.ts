/**
 * Twins on real latencies measured on this machine (fixtures written by bench/twin-data: the same
 * 300 ofa-mbv3-w1.0 subnets on onnxruntime-node and on onnxruntime-web's WebAssembly backend; the
 * statistic is the CPU time per run, which other jobs on the shared cores barely disturb).
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../core/rng';
import { SPACES } from '../../../core/space';
import { subnetId } from '../../../core/subnet-id';
import { evaluateOn } from '../../../server/twins/evaluate';
import type { FitContext, LatencySample } from '../../../server/twins/families';
import { fitTwins } from '../../../server/twins/fit';
import { twinMetrics } from '../../../server/twins/metrics';
import { labSamples, loadLabData } from '../../../bench/twin-data/lab-data';

const w10 = SPACES['ofa-mbv3-w1.0'];

function split(samples: LatencySample[], seed: string, heldOut = 100) {
  const order = createRng(seed).shuffle(samples.map((_, i) => i));
  return { heldOut: order.slice(0, heldOut).map((i) => samples[i]), train: order.slice(heldOut).map((i) => samples[i]) };
}

describe('twins on real measurements', () => {
  const node = loadLabData('ort-node-1t');
  const web = loadLabData('ort-web-1t');

  it('fits a twin that ranks held-out subnets as the device does, better than a re-measurement agrees with itself', () => {
    const samples = labSamples(node, 'cpu');
    const { train, heldOut } = split(samples, 'lab/node');
    const ctx: FitContext = { space: w10, table: null, sources: [], seed: 0 };
    const twin = evaluateOn('ridge', train, heldOut, ctx).metrics;
    const twice = node.subnets.filter((s) => s.passes[1]);
    const noise = twinMetrics(
      twice.map((s) => s.passes[1].cpu),
      twice.map((s) => s.passes[0].cpu),
    );
    expect(twin.kendallTau).toBeGreaterThan(0.8);
    expect(twin.within10).toBeGreaterThan(0.8);
    expect(twin.rmspe).toBeLessThan(noise.rmspe);
  });

  it('transfer from another runtime beats from-scratch twins at 10 measurements (mean over 5 splits)', () => {
    const nodeSamples = labSamples(node, 'cpu');
    const webById = new Map(labSamples(web, 'cpu').map((s) => [subnetId(w10, s.config), s]));
    const rmspe: Record<string, number[]> = { transfer: [], macs: [], ridge: [] };
    for (let rep = 0; rep < 5; rep++) {
      const order = createRng(`lab/transfer/${rep}`).shuffle(nodeSamples.map((_, i) => i));
      const held = new Set(order.slice(0, 100));
      // The source twin never saw the target's held-out subnets, not even on its own device.
      const source = fitTwins({ space: w10, device: node.device, samples: nodeSamples.filter((_, i) => !held.has(i)), families: ['ridge'], folds: 3, learningCurveSizes: [] }).active;
      const target = order.map((i) => webById.get(subnetId(w10, nodeSamples[i].config))!);
      const ctx: FitContext = { space: w10, table: null, sources: [{ device: node.device, predict: (c) => source.predict(c) }], seed: 0 };
      for (const family of ['transfer', 'macs', 'ridge'] as const) rmspe[family].push(evaluateOn(family, target.slice(100, 110), target.slice(0, 100), ctx).metrics.rmspe);
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(rmspe.transfer)).toBeLessThan(mean(rmspe.macs));
    expect(mean(rmspe.transfer)).toBeLessThan(mean(rmspe.ridge));
  });
});
