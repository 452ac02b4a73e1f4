import { describe, expect, it } from 'vitest';
import { isBlockActive, type SubnetConfig } from '../../core/config';
import { ValidationError } from '../../core/errors';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES } from '../../core/space';
import { encodeBatch, encodingLength } from '../../models/accuracy-encoding';
import { createAccuracyPredictor, loadAccuracyPredictor, rmse } from '../../models/accuracy-predictor';
import { fitAccuracyPredictor, type AccuracyRecord } from '../../models/accuracy-predictor-fit';
import { createMlp, mlpForward } from '../../models/mlp';
import { trainMlp } from '../../models/mlp-train';

const mini = SPACES['ofa-mbv3-mini'];

/** A known smooth target: bigger kernels/expands/depths and resolutions help, with an interaction. */
function knownTop1(config: SubnetConfig): number {
  let sum = 0;
  for (let i = 0; i < 20; i++) {
    if (!isBlockActive(mini, config, i)) continue;
    sum += mini.kernelChoices.indexOf(config.ks[i]) * 0.003 + mini.expandChoices.indexOf(config.e[i]) * 0.004;
  }
  const rIndex = mini.resolutions.indexOf(config.r) / (mini.resolutions.length - 1);
  return 0.6 + sum + 0.05 * rIndex + 0.02 * rIndex * Math.min(sum, 0.1);
}

describe('accuracy predictor', () => {
  it('learns a known target and reports an honest held-out RMSE', () => {
    const rng = createRng(7);
    const records: AccuracyRecord[] = Array.from({ length: 300 }, () => {
      const config = sampleConfig(mini, rng);
      return { config, top1: knownTop1(config) + 0.002 * rng.normal() };
    });
    const predictor = fitAccuracyPredictor('ofa-mbv3-mini', records, { epochs: 40, batchSize: 32, seed: 3, origin: { label: 'known target' } });
    const metrics = predictor.metrics!;
    expect(metrics.trainCount).toBe(240);
    expect(metrics.heldOutCount).toBe(60);
    const ys = records.map((r) => r.top1);
    const mean = ys.reduce((s, v) => s + v, 0) / ys.length;
    const spread = Math.sqrt(ys.reduce((s, v) => s + (v - mean) ** 2, 0) / ys.length);
    // Predicting the mean would give RMSE = spread; the MLP must explain most of the variance.
    expect(metrics.heldOutRmse!).toBeLessThan(0.3 * spread);
    // The reported number is what a fresh evaluation on new subnets gives, within noise.
    const fresh = Array.from({ length: 200 }, () => sampleConfig(mini, rng));
    const freshRmse = rmse(predictor.predict(fresh), fresh.map(knownTop1));
    expect(freshRmse).toBeLessThan(2 * metrics.heldOutRmse! + 0.003);
    expect(predictor.origin).toMatchObject({ kind: 'fitted', label: 'known target' });

    const reloaded = loadAccuracyPredictor(JSON.parse(JSON.stringify(predictor.toJSON())));
    expect(reloaded.version).toBe(predictor.version);
    expect(Array.from(reloaded.predict(fresh.slice(0, 5)))).toEqual(Array.from(predictor.predict(fresh.slice(0, 5))));
  });

  it('computes exact gradients (finite differences on a tiny MLP)', () => {
    const rng = createRng(1);
    const mlp = createMlp([3, 4, 1], rng);
    const x = Float32Array.from([0.5, -1, 2, 1, 0.25, -0.5]);
    const y = Float32Array.from([0.3, -0.2]);
    const loss = () => {
      const out = mlpForward(mlp, x, 2).output;
      return ((out[0] - y[0]) ** 2 + (out[1] - y[1]) ** 2) / 2;
    };
    // One Adam step with lr 1e-3 moves each weight by ~lr * sign(grad): the loss must drop by
    // about lr * sum |grad|, which we compare with the numerically differentiated gradient.
    let numericL1 = 0;
    for (const layer of mlp.layers) {
      for (const p of [layer.weight, layer.bias!]) {
        for (let i = 0; i < p.length; i++) {
          const keep = p[i];
          p[i] = keep + 1e-3;
          const up = loss();
          p[i] = keep - 1e-3;
          const down = loss();
          p[i] = keep;
          numericL1 += Math.abs((up - down) / 2e-3);
        }
      }
    }
    const before = loss();
    trainMlp(mlp, x, y, 2, { epochs: 1, batchSize: 2, lr: 1e-4, weightDecay: 0, rng });
    const drop = before - loss();
    expect(drop / (1e-4 * numericL1)).toBeGreaterThan(0.9);
    expect(drop / (1e-4 * numericL1)).toBeLessThan(1.1);
  });

  it('hosts the tutorial 128-d predictor shape and encodes as spec2feats does', () => {
    const w12 = SPACES['ofa-mbv3-w1.2'];
    expect(encodingLength(w12, 'ofa-tutorial-128')).toBe(128);
    const config: SubnetConfig = { ks: Array(20).fill(7), e: Array(20).fill(3), d: [2, 3, 4, 4, 4], r: 176 };
    config.ks[0] = 3;
    config.e[0] = 6;
    const x = encodeBatch(w12, 'ofa-tutorial-128', [config]);
    expect(x[0]).toBe(1); // block 0: k3 -> index 0
    expect(x[60 + 2]).toBe(1); // block 0: e6 -> index 2
    expect(x.slice(2 * 3, 4 * 3).every((v) => v === 0)).toBe(true); // blocks 2, 3 of stage 1 skipped
    expect(x[120 + (176 - 112) / 16]).toBe(1);
    expect(x.reduce((s, v) => s + v, 0)).toBe(2 * 17 + 1);
    const rng = createRng(2);
    const predictor = createAccuracyPredictor({
      space: 'ofa-mbv3-w1.2',
      encoding: 'ofa-tutorial-128',
      mlp: createMlp([128, 400, 400, 400, 1], rng),
      baseAcc: 0,
      origin: { kind: 'imported', label: 'OFA tutorial acc_predictor.pth', source: 'acc_predictor.pth' },
    });
    expect(predictor.predict([config, config]).length).toBe(2);
    expect(() => createAccuracyPredictor({ space: 'ofa-mbv3-w1.0', encoding: 'ofa-onehot', mlp: createMlp([128, 1], rng), baseAcc: 0, origin: { kind: 'imported', label: 'x' } })).toThrow(
      /first layer takes 128 inputs but the ofa-onehot encoding of ofa-mbv3-w1.0 has 145/,
    );
  });

  it('rejects bad records and bad files with a clear message', () => {
    const config = sampleConfig(mini, createRng(0));
    expect(() => fitAccuracyPredictor('ofa-mbv3-mini', [{ config, top1: 76.5 }], { origin: { label: 'x' } })).toThrow(/record 1: top1 must be a fraction in \[0, 1\], got 76.5/);
    expect(() => fitAccuracyPredictor('ofa-mbv3-mini', [{ config, top1: 0.7 }], { origin: { label: 'x' } })).toThrow(/at least 10 records/);
    expect(() => loadAccuracyPredictor({ format: 'nope' })).toThrow(ValidationError);
  });
});
