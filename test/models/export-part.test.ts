import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildArch } from '../../core/arch';
import { ValidationError } from '../../core/errors';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES } from '../../core/space';
import { exportPart, exportSubnet, type OnnxExport } from '../../models/export';
import { inMemoryWeights } from '../../models/random-weights';
import { relativeError, runOnnx } from './round-trip';
import { testSupernetTensors } from './test-weights';

async function run(part: OnnxExport, input: Float32Array, output: string): Promise<ort.Tensor> {
  const result = await runOnnx(part.bytes, input, part.inputShape, output);
  expect(result.dims).toEqual(part.outputShape);
  return result;
}

describe('exportPart', () => {
  for (const name of ['ofa-mbv3-mini', 'ofa-mbv3-w1.0'] as const) {
    it(`${name}: stem, every block and the head, run one after another in ORT, give the full model's logits`, async () => {
      const space = SPACES[name];
      const weights = inMemoryWeights(space, testSupernetTensors(space, 2), 'test weights');
      const rng = createRng(`parts/${name}`);
      const config = { ...sampleConfig(space, rng), r: space.resolutions[0] };
      const arch = buildArch(space, config);
      const input = new Float32Array(space.inputChannels * config.r * config.r).map(() => rng.normal());
      const full = exportSubnet({ space, config, weights });
      const expected = (await runOnnx(full.bytes, input, full.inputShape)).data as Float32Array;

      const stem = exportPart({ space, part: { kind: 'stem', resolution: config.r }, weights });
      expect(stem.inputShape).toEqual([1, space.inputChannels, config.r, config.r]);
      expect(stem.outputShape).toEqual([1, arch.stem.cout, arch.stem.fout, arch.stem.fout]);
      let x = (await run(stem, input, 'output')).data as Float32Array;
      let count = stem.weightCount;
      for (const block of arch.blocks) {
        const part = exportPart({ space, part: { kind: 'block', block }, weights });
        expect(part.inputShape).toEqual([1, block.cin, block.fin, block.fin]);
        expect(part.outputShape).toEqual([1, block.cout, block.fout, block.fout]);
        x = (await run(part, x, 'output')).data as Float32Array;
        count += part.weightCount;
      }
      const f = arch.head.finalExpand.f;
      const head = exportPart({ space, part: { kind: 'head', featureSize: f }, weights });
      expect(head.inputShape).toEqual([1, arch.head.finalExpand.cin, f, f]);
      const logits = (await run(head, x, 'logits')).data as Float32Array;
      expect(count + head.weightCount).toBe(full.weightCount);
      expect(relativeError(logits, expected)).toBeLessThan(1e-5);
    });
  }

  it('is deterministic and rejects parts the supernet cannot hold', () => {
    const space = SPACES['ofa-mbv3-w1.0'];
    const weights = inMemoryWeights(space, testSupernetTensors(space, 2), 'test weights');
    const block = buildArch(space, { ...sampleConfig(space, createRng(1)), r: 224 }).blocks[3];
    const a = exportPart({ space, part: { kind: 'block', block }, weights });
    expect(exportPart({ space, part: { kind: 'block', block }, weights }).sha256).toBe(a.sha256);
    expect(() => exportPart({ space, part: { kind: 'block', block: { ...block, mid: 4096 } }, weights })).toThrow(/cannot have mid 4096/);
    expect(() => exportPart({ space, part: { kind: 'block', block: { ...block, kernel: 9 } }, weights })).toThrow(/kernel 9/);
    expect(() => exportPart({ space, part: { kind: 'block', block: { ...block, fout: block.fout + 1 } }, weights })).toThrow(ValidationError);
    expect(() => exportPart({ space, part: { kind: 'head', featureSize: 0 }, weights })).toThrow(/head feature size must be an integer/);
    expect(() => exportPart({ space, part: { kind: 'stem', resolution: 1.5 }, weights })).toThrow(/stem resolution/);
  });
});
