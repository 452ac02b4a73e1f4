/**
 * `ofa-farm supernet import` as a user runs it: a good file imports and exports; corrupt,
 * truncated, wrong-space and wrong-shape files each exit 2 with one line naming the problem,
 * and nothing is written; an existing output is kept unless --force.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maxConfig } from '../../core/config';
import { SPACES } from '../../core/space';
import { torchSave, type SaveDict } from '../../models/pytorch/torch-save';
import { materializeSupernet, randomSupernetWeights } from '../../models/random-weights';
import { supernetTensors } from '../../models/supernet-tensors';
import { runCli, spawnCli } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'ofa-cli-supernet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function miniStateDict(): SaveDict {
  const space = SPACES['ofa-mbv3-mini'];
  const weights = materializeSupernet(randomSupernetWeights(space, 1));
  const dict: SaveDict = {};
  for (const spec of supernetTensors(space)) dict[`module.${spec.name}`] = { shape: spec.shape, data: weights.get(spec.name)! };
  return dict;
}

const good = join(dir, 'good.pth');
const goodBytes = torchSave({ state_dict: miniStateDict(), epoch: 120 });
writeFileSync(good, goodBytes);

async function expectRejected(file: string, space: string, message: RegExp): Promise<void> {
  const out = join(dir, 'never.ofa');
  const run = await runCli(['supernet', 'import', '--space', space, '--from', file, '--out', out]);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(message);
  expect(existsSync(out)).toBe(false);
}

describe('ofa-farm supernet import', () => {
  it('imports a good file, prints what it did, and the result exports', async () => {
    const out = join(dir, 'mini.ofa');
    const run = await spawnCli(['supernet', 'import', '--space', 'ofa-mbv3-mini', '--from', good, '--out', out]);
    expect(run.stderr.replace(/npm warn.*\n/g, '')).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^imported 411 tensors \(609,746 values\) of ofa-mbv3-mini from .*good\.pth \(zip format; state dict at "state_dict"; 411 names mapped/);
    expect(run.stdout).toMatch(/wrote .*mini\.ofa: 2\.\d MB; BN statistics are the supernet's stored ones/);
    const onnx = join(dir, 'max.onnx');
    const config = JSON.stringify(maxConfig(SPACES['ofa-mbv3-mini']));
    const exported = await runCli(['subnet', 'export', '--space', 'ofa-mbv3-mini', '--checkpoint', out, '--config', config, '--out', onnx]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(onnx).length).toBeGreaterThan(100_000);
  }, 60_000);

  it('keeps an existing output unless --force', async () => {
    const out = join(dir, 'kept.ofa');
    writeFileSync(out, 'precious');
    const run = await runCli(['supernet', 'import', '--space', 'ofa-mbv3-mini', '--from', good, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/kept\.ofa exists; pass --force to replace it/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const forced = await runCli(['supernet', 'import', '--space', 'ofa-mbv3-mini', '--from', good, '--out', out, '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ space: 'ofa-mbv3-mini', tensors: 411, renamed: 411, out });
  });

  it('rejects a corrupt file', async () => {
    const file = join(dir, 'corrupt.pth');
    writeFileSync(file, Buffer.from('this is not a checkpoint at all, just text'));
    await expectRejected(file, 'ofa-mbv3-mini', /corrupt\.pth: not a PyTorch checkpoint/);
  });

  it('rejects truncated files, whichever part is missing', async () => {
    for (const keep of [0.2, 0.5, 0.999]) {
      const file = join(dir, `truncated-${keep}.pth`);
      writeFileSync(file, goodBytes.subarray(0, Math.floor(goodBytes.length * keep)));
      await expectRejected(file, 'ofa-mbv3-mini', /truncated/);
    }
    await expectRejected(join(dir, 'missing.pth'), 'ofa-mbv3-mini', /cannot read .*missing\.pth/);
  });

  it('rejects a file of another space and names the space it matches', async () => {
    await expectRejected(good, 'ofa-mbv3-w1.2', /not a ofa-mbv3-w1\.2 supernet: .*\(the file matches ofa-mbv3-mini: pass --space ofa-mbv3-mini\)/);
  });

  it('rejects a wrong-shape tensor by name', async () => {
    const dict = miniStateDict();
    dict['module.classifier.linear.weight'] = { shape: [10, 319], data: new Float32Array(3190) };
    const file = join(dir, 'wrong-shape.pth');
    writeFileSync(file, torchSave(dict));
    await expectRejected(file, 'ofa-mbv3-mini', /1 problem: "module\.classifier\.linear\.weight" \(as "classifier\.linear\.weight"\) has shape \[10, 319\], expected \[10, 320\]/);
  });

  it('has --help', async () => {
    const run = await runCli(['supernet', 'import', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--from <file.pth>');
  });
});
