/**
 * Supernets saved by real PyTorch with the reference's module names (random weights, non-identity
 * 7to5/5to3 matrices, random BN statistics) import, and subnets exported from the imported
 * `.ofa` give, in onnxruntime-node, the logits of the reference forward of the same subnets
 * (computed by PyTorch in float64 in make-fixtures.py) within 1e-4 relative error.
 * w1.0: 10 subnets of varied k/e/d/r through the CLI (`supernet import`, `subnet export`);
 * w1.2 and the mini space: the saving variants (legacy format, `module.` prefix, old
 * `mobile_inverted_conv` names, top level vs `state_dict`) through the API.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseSubnetConfig } from '../../../core/config';
import { SPACES, type SpaceName } from '../../../core/space';
import { exportSubnet } from '../../../models/export';
import { checkpointWeights, readCheckpoint } from '../../../models/checkpoint';
import { importSupernetFile } from '../../../models/pytorch/import-supernet';
import { supernetTensors } from '../../../models/supernet-tensors';
import { runCli } from '../../helpers/cli';
import { describeWithTorch, readInput, readReference, relativeError, torchFixture, type ReferenceCase } from './torch-fixtures';

const TOLERANCE = 1e-4;

async function runOnnx(bytes: Uint8Array, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const result = await session.run({ input: new ort.Tensor('float32', input, shape) });
    return result.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

function inputShape(space: SpaceName, c: ReferenceCase): number[] {
  return [1, SPACES[space].inputChannels, c.config.r, c.config.r];
}

describeWithTorch('a w1.0 supernet saved by PyTorch, through the CLI: 10 subnets match the reference forward', () => {
  const work = mkdtempSync(join(tmpdir(), 'ofa-pth-w10-'));
  let dir: string;
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  beforeAll(async () => {
    dir = await torchFixture('supernet', ['--space', 'ofa-mbv3-w1.0', '--wrap', '--subnets', '10', '--seed', '1']);
  }, 300_000);

  it('has exactly the tensor names, shapes and order of the PyTorch modules', () => {
    const ref = readReference(dir);
    expect(supernetTensors(SPACES['ofa-mbv3-w1.0']).map((t) => [t.name, [...t.shape]])).toEqual(ref.tensors);
  });

  it('imports with `supernet import` and exports 10 subnets whose logits match', async () => {
    const ref = readReference(dir);
    const out = join(work, 'w10.ofa');
    const imported = await runCli(['supernet', 'import', '--space', 'ofa-mbv3-w1.0', '--from', join(dir, 'supernet.pth'), '--out', out, '--json']);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const report = JSON.parse(imported.stdout);
    expect(report).toMatchObject({ space: 'ofa-mbv3-w1.0', format: 'zip', stateDict: '"state_dict"', tensors: 411, values: 7_720_704, skipped: 64 });
    const configs = ref.cases.map((c) => parseSubnetConfig(SPACES['ofa-mbv3-w1.0'], c.config));
    expect(new Set(configs.map((c) => c.r)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(configs.map((c) => c.d.join())).size).toBeGreaterThanOrEqual(5);
    for (const [i, c] of ref.cases.entries()) {
      const onnx = join(work, `subnet-${i}.onnx`);
      const exported = await runCli(['subnet', 'export', '--space', 'ofa-mbv3-w1.0', '--checkpoint', out, '--config', JSON.stringify(c.config), '--out', onnx]);
      expect(exported.code, exported.stderr).toBe(0);
      const logits = await runOnnx(new Uint8Array(readFileSync(onnx)), readInput(dir, c), inputShape('ofa-mbv3-w1.0', c));
      expect(logits.length).toBe(1000);
      expect(relativeError(logits, c.logits), `subnet ${i} ${JSON.stringify(c.config)}`).toBeLessThan(TOLERANCE);
    }
  }, 300_000);
});

const VARIANTS: { space: SpaceName; args: string[]; format: string; stateDict: string; renamed: boolean }[] = [
  { space: 'ofa-mbv3-w1.2', args: ['--subnets', '2', '--seed', '2'], format: 'zip', stateDict: 'the top level', renamed: false },
  { space: 'ofa-mbv3-mini', args: ['--subnets', '3', '--seed', '3', '--legacy', '--wrap'], format: 'legacy', stateDict: '"state_dict"', renamed: false },
  { space: 'ofa-mbv3-mini', args: ['--subnets', '3', '--seed', '4', '--module-prefix', '--old-names'], format: 'zip', stateDict: 'the top level', renamed: true },
];

describeWithTorch('supernets saved by PyTorch in every variant import and match the reference forward', () => {
  const work = mkdtempSync(join(tmpdir(), 'ofa-pth-variants-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const dirs: string[] = [];
  beforeAll(async () => {
    for (const v of VARIANTS) dirs.push(await torchFixture('supernet', ['--space', v.space, ...v.args]));
  }, 300_000);

  it.each(VARIANTS.map((v, i) => [`${v.space} ${v.args.join(' ')}`, i] as const))('%s', async (_, i) => {
    const v = VARIANTS[i];
    const dir = dirs[i];
    const space = SPACES[v.space];
    const ref = readReference(dir);
    expect(supernetTensors(space).map((t) => [t.name, [...t.shape]])).toEqual(ref.tensors);
    // From the file as readFile gives it (a Node Buffer) to a .ofa on disk and back.
    const out = join(work, `variant-${i}.ofa`);
    const report = await importSupernetFile({ from: join(dir, 'supernet.pth'), space: v.space, out });
    expect(report.format).toBe(v.format);
    expect(report.stateDict).toBe(v.stateDict);
    expect(report.renamed > 0).toBe(v.renamed);
    const weights = checkpointWeights(await readCheckpoint(out));
    for (const c of ref.cases) {
      const { bytes } = exportSubnet({ space, config: parseSubnetConfig(space, c.config), weights });
      const logits = await runOnnx(bytes, readInput(dir, c), inputShape(v.space, c));
      expect(relativeError(logits, c.logits), JSON.stringify(c.config)).toBeLessThan(TOLERANCE);
    }
  }, 120_000);
});
