/**
 * The reference tutorial's accuracy predictor as a farm predictor: its 128-d encoding equals the
 * tutorial's `spec2feats` (run in Python by make-fixtures.py, committed) on the notebook's
 * published Note10 net and on sampled w1.2 configs; a predictor saved by PyTorch predicts what
 * PyTorch computes for it; malformed files name every problem.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSubnetConfig, type SubnetConfig } from '../../core/config';
import { ValidationError } from '../../core/errors';
import { SPACES } from '../../core/space';
import { encodeBatch } from '../../models/accuracy-encoding';
import { loadAccuracyPredictor } from '../../models/accuracy-predictor';
import { torchSave, type SaveDict } from '../../models/pytorch/torch-save';
import { TUTORIAL_PREDICTOR_LABEL, TUTORIAL_PREDICTOR_SIZES, importTutorialPredictor } from '../../models/reference-predictor';
import { describeWithTorch, torchFixture } from './pytorch/torch-fixtures';

const W12 = SPACES['ofa-mbv3-w1.2'];
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'pytorch');

interface EncodingCase {
  config: SubnetConfig;
  feats: number[];
}

/** A state dict shaped like the tutorial's nn.Sequential, weights from a simple formula. */
function tutorialStateDict(prefix = ''): SaveDict {
  const dict: SaveDict = {};
  [0, 2, 4, 6].forEach((index, l) => {
    const inputs = TUTORIAL_PREDICTOR_SIZES[l];
    const outputs = TUTORIAL_PREDICTOR_SIZES[l + 1];
    dict[`${prefix}${index}.weight`] = { shape: [outputs, inputs], data: Float32Array.from({ length: inputs * outputs }, (_, i) => Math.sin(i + l) / inputs) };
    dict[`${prefix}${index}.bias`] = { shape: [outputs], data: Float32Array.from({ length: outputs }, (_, i) => Math.cos(i) / 10) };
  });
  return dict;
}

describe('the tutorial predictor encoding (ofa-tutorial-128)', () => {
  const { cases } = JSON.parse(readFileSync(join(FIXTURES, 'tutorial-encoding.json'), 'utf8')) as { cases: EncodingCase[] };

  it("equals spec2feats on the notebook's Note10 25 ms net and on sampled w1.2 configs", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    const configs = cases.map((c) => parseSubnetConfig(W12, c.config));
    const encoded = encodeBatch(W12, 'ofa-tutorial-128', configs);
    cases.forEach((c, row) => expect(Array.from(encoded.subarray(row * 128, (row + 1) * 128)), JSON.stringify(c.config)).toEqual(c.feats));
  });

  it('places the published net by hand: block 0 K5 E3, 14 active blocks, r 192 in bucket 5', () => {
    const note10 = cases[0];
    expect(note10.config.d).toEqual([2, 2, 3, 4, 3]);
    const feats = encodeBatch(W12, 'ofa-tutorial-128', [parseSubnetConfig(W12, note10.config)]);
    expect(feats.reduce((a, b) => a + b, 0)).toBe(14 * 2 + 1);
    expect([feats[0], feats[1], feats[2]]).toEqual([0, 1, 0]); // ks[0] = 5
    expect([feats[60], feats[61], feats[62]]).toEqual([1, 0, 0]); // e[0] = 3
    expect(Array.from(feats.subarray(6, 12))).toEqual([0, 0, 0, 0, 0, 0]); // blocks 2, 3 skipped (d[0] = 2)
    expect(Array.from(feats.subarray(120))).toEqual([0, 0, 0, 0, 0, 1, 0, 0]); // (192 - 112) // 16 = 5
  });
});

describe('importing the tutorial predictor', () => {
  it('becomes a farm predictor labelled with its origin, and round-trips through JSON', () => {
    const predictor = importTutorialPredictor(torchSave(tutorialStateDict()), { space: 'ofa-mbv3-w1.2', label: '/downloads/acc_predictor.pth' });
    expect(predictor.encoding).toBe('ofa-tutorial-128');
    expect(predictor.origin).toEqual({ kind: 'imported', label: TUTORIAL_PREDICTOR_LABEL, checkpoint: 'ofa_mbv3_d234_e346_k357_w1.2 (reference release)', source: 'acc_predictor.pth' });
    expect(predictor.version).toMatch(/^[0-9a-f]{16}$/);
    const configs = [W12.resolutions[0], 192, 224].map((r) => ({ ks: Array(20).fill(5), e: Array(20).fill(4), d: Array(5).fill(3), r }));
    const again = loadAccuracyPredictor(JSON.parse(JSON.stringify(predictor.toJSON())));
    expect(again.version).toBe(predictor.version);
    expect(Array.from(again.predict(configs))).toEqual(Array.from(predictor.predict(configs)));
  });

  it('accepts the Sequential under a prefix and inside {"state_dict": ...}', () => {
    const plain = importTutorialPredictor(torchSave(tutorialStateDict()), { space: 'ofa-mbv3-w1.2', label: 'a.pth' });
    for (const root of [tutorialStateDict('model.'), tutorialStateDict('module.layers.'), { state_dict: tutorialStateDict() }]) {
      expect(importTutorialPredictor(torchSave(root as SaveDict), { space: 'ofa-mbv3-w1.2', label: 'b.pth' }).version).toBe(plain.version);
    }
  });

  it('names every missing, unexpected and mis-shaped tensor', () => {
    const dict = tutorialStateDict();
    delete dict['6.bias'];
    dict['2.weight'] = { shape: [400, 399], data: new Float32Array(400 * 399) };
    dict['8.weight'] = { shape: [1, 1], data: new Float32Array(1) };
    const run = () => importTutorialPredictor(torchSave(dict), { space: 'ofa-mbv3-w1.2', label: 'bad.pth' });
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(/^bad\.pth: not the tutorial's accuracy predictor \(Linear 128-400-400-400-1 with biases\): /);
    expect(run).toThrow(/unexpected tensor "8\.weight"/);
    expect(run).toThrow(/"2\.weight" has shape \[400, 399\], expected \[400, 400\]/);
    expect(run).toThrow(/missing tensor "6\.bias" \[1\]/);
  });

  it('refuses a space whose resolutions the 128-d encoding cannot hold', () => {
    expect(() => importTutorialPredictor(torchSave(tutorialStateDict()), { space: 'ofa-mbv3-mini', label: 'a.pth' })).toThrow(/covers resolutions 112\.\.239/);
  });
});

describeWithTorch('a tutorial predictor saved by PyTorch', () => {
  it('predicts what PyTorch computes (12 configs, the published Note10 net first)', async () => {
    const dir = await torchFixture('predictor', ['--seed', '3']);
    const predictor = importTutorialPredictor(readFileSync(join(dir, 'acc_predictor.pth')), { space: 'ofa-mbv3-w1.2', label: 'acc_predictor.pth' });
    const { cases } = JSON.parse(readFileSync(join(dir, 'predictor.json'), 'utf8')) as { cases: { config: SubnetConfig; predicted: number }[] };
    const predicted = predictor.predict(cases.map((c) => parseSubnetConfig(W12, c.config)));
    cases.forEach((c, i) => expect(Math.abs(predicted[i] - c.predicted), JSON.stringify(c.config)).toBeLessThan(1e-5));
    expect(new Set(cases.map((c) => c.predicted.toFixed(6))).size).toBe(cases.length);
  }, 120_000);
});
