/**
 * The supernet importer on `.pth` files made in-process with the torch.save writer (no Python
 * needed): tensors arrive bit-exact and export to the same ONNX as the weights they came from;
 * the reference's name variants map; every missing, unexpected, mis-shaped, non-tensor or
 * non-finite entry is named in one error; a file of another space is recognised.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors';
import { createRng } from '../../../core/rng';
import { sampleConfig } from '../../../core/sample';
import { SPACES, type SpaceName } from '../../../core/space';
import { exportSubnet } from '../../../models/export';
import { importSupernet } from '../../../models/pytorch/import-supernet';
import { torchSave, type SaveDict, type SaveValue } from '../../../models/pytorch/torch-save';
import { inMemoryWeights, materializeSupernet, randomSupernetWeights } from '../../../models/random-weights';
import { supernetTensors } from '../../../models/supernet-tensors';

const MINI: SpaceName = 'ofa-mbv3-mini';

function stateDict(space: SpaceName, seed: number, rename: (name: string) => string = (n) => n): SaveDict {
  const weights = materializeSupernet(randomSupernetWeights(SPACES[space], seed));
  const dict: SaveDict = {};
  for (const spec of supernetTensors(SPACES[space])) {
    dict[rename(spec.name)] = { shape: spec.shape, data: weights.get(spec.name)! };
    if (spec.name.endsWith('running_var')) dict[rename(spec.name.replace('running_var', 'num_batches_tracked'))] = { shape: [], data: Float32Array.from([5]) };
  }
  return dict;
}

/** Bitwise equality of float arrays (vitest's deep equality is slow on 600k values). */
function sameFloats(a: Float32Array | undefined, b: Float32Array): boolean {
  return a !== undefined && Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function importError(root: SaveDict, space: SpaceName = MINI): string {
  try {
    importSupernet(torchSave(root), space, 'bad.pth');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('the import did not fail');
}

describe('supernet import', () => {
  it('reads every tensor bit-exact and exports the same ONNX as the original weights', () => {
    const space = SPACES[MINI];
    const original = materializeSupernet(randomSupernetWeights(space, 3));
    const { tensors, report } = importSupernet(torchSave({ state_dict: stateDict(MINI, 3), epoch: 9 }), MINI, 'mini.pth');
    expect(report).toMatchObject({ format: 'zip', stateDict: '"state_dict"', tensors: 411, skipped: 64, renamed: 0, converted: {} });
    expect([...tensors.keys()]).toEqual([...original.keys()]);
    for (const [name, data] of original) expect(sameFloats(tensors.get(name), data), name).toBe(true);
    const rng = createRng('import-supernet');
    for (let i = 0; i < 5; i++) {
      const config = sampleConfig(space, rng);
      const a = exportSubnet({ space, config, weights: inMemoryWeights(space, original, 'w') });
      const b = exportSubnet({ space, config, weights: inMemoryWeights(space, tensors, 'w') });
      expect(b.sha256).toBe(a.sha256);
    }
  });

  it('maps data-parallel prefixes, the older block name and the reference load_state_dict fallbacks', () => {
    const variants: [string, (n: string) => string][] = [
      ['module.', (n) => `module.${n}`],
      ['mobile_inverted_conv', (n) => n.replace(/^(blocks\.\d+)\.conv\./, '$1.mobile_inverted_conv.')],
      ['.bn.bn. -> .bn.', (n) => n.replace('.bn.bn.', '.bn.')],
      ['.conv.conv.weight -> .conv.weight', (n) => (n.includes('point_linear') ? n.replace('.conv.conv.weight', '.conv.weight') : n)],
      ['.linear. -> .linear.linear.', (n) => n.replace('.linear.', '.linear.linear.')],
    ];
    const reference = importSupernet(torchSave(stateDict(MINI, 4)), MINI, 'plain.pth').tensors;
    for (const [what, rename] of variants) {
      const { tensors, report } = importSupernet(torchSave(stateDict(MINI, 4, rename)), MINI, `${what}.pth`);
      expect(report.renamed, what).toBeGreaterThan(0);
      for (const [name, data] of reference) expect(sameFloats(tensors.get(name), data), `${what}: ${name}`).toBe(true);
    }
  });

  it('names every missing, unexpected, mis-shaped and non-tensor entry in one error', () => {
    const dict = stateDict(MINI, 5);
    delete dict['blocks.3.conv.depth_conv.conv.7to5_matrix'];
    dict['blocks.5.conv.point_linear.conv.conv.weight'] = { shape: [16, 8, 1, 1], data: new Float32Array(128) };
    dict['auxiliary_head.weight'] = { shape: [2], data: new Float32Array(2) };
    dict['classifier.linear.bias'] = 'not a tensor';
    const message = importError(dict);
    expect(message).toMatch(/^bad\.pth: not a ofa-mbv3-mini supernet: 4 problems: /);
    expect(message).toContain('missing tensor "blocks.3.conv.depth_conv.conv.7to5_matrix" [25, 25]');
    expect(message).toMatch(/"blocks\.5\.conv\.point_linear\.conv\.conv\.weight" has shape \[16, 8, 1, 1\], expected \[\d+, \d+, 1, 1\]/);
    expect(message).toContain('unexpected tensor "auxiliary_head.weight" [2]');
    expect(message).toContain('"classifier.linear.bias" is the string "not a tensor", not a tensor');
    expect(message).toMatch(/nothing was written$/);
  });

  it('reports two names that map to the same tensor, and values that are not finite', () => {
    const dict = stateDict(MINI, 6);
    dict['module.first_conv.bn.weight'] = dict['first_conv.bn.weight'];
    expect(importError(dict)).toContain('"first_conv.bn.weight" and "module.first_conv.bn.weight" are both "first_conv.bn.weight"');
    const nan = stateDict(MINI, 6);
    const data = Float32Array.from((nan['final_expand_layer.bn.running_var'] as { data: Float32Array }).data);
    data[3] = Number.NaN;
    nan['final_expand_layer.bn.running_var'] = { shape: [data.length], data };
    expect(importError(nan)).toContain('"final_expand_layer.bn.running_var" holds NaN at index 3 (not a finite number)');
  });

  it('recognises a supernet of another space and says which', () => {
    const message = importError(stateDict(MINI, 7), 'ofa-mbv3-w1.0');
    expect(message).toMatch(/not a ofa-mbv3-w1\.0 supernet: \d+ problems: "first_conv\.conv\.weight" has shape \[8, 1, 3, 3\], expected \[16, 3, 3, 3\]/);
    expect(message).toContain('(the file matches ofa-mbv3-mini: pass --space ofa-mbv3-mini)');
    expect(message).toContain('... and');
  });

  it('explains a file without weights where it looked for them', () => {
    const message = importError({ epoch: 3, optimizer: { lr: 0.1 } as unknown as SaveValue } as SaveDict);
    expect(message).toMatch(/no tensors at the top level nor under "state_dict", .* \(top-level keys: epoch, optimizer\)/);
  });
});
