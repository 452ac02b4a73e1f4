import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxConfig, minConfig } from '../../core/config';
import { SPACES } from '../../core/space';
import { subnetId } from '../../core/subnet-id';
import { checkpointWeights, readCheckpoint, writeCheckpoint } from '../../models/checkpoint';
import { exportSubnet } from '../../models/export';
import { randomSupernetWeights } from '../../models/random-weights';
import { runOnnx } from '../models/round-trip';
import { runCli, spawnCli } from '../helpers/cli';

const mini = SPACES['ofa-mbv3-mini'];
const config = JSON.stringify(minConfig(mini, 24));
const dir = mkdtempSync(join(tmpdir(), 'ofa-cli-export-'));
const ckpt = join(dir, 'mini.ofa');
const otherCkpt = join(dir, 'w10.ofa');
const calibratedCkpt = join(dir, 'calibrated.ofa');

beforeAll(async () => {
  await writeCheckpoint(ckpt, { space: 'ofa-mbv3-mini', phase: 'test', createdAt: '2025-01-01T00:00:00.000Z', tensors: randomSupernetWeights(mini, 9) });
  const w10 = SPACES['ofa-mbv3-w1.0'];
  await writeCheckpoint(otherCkpt, { space: 'ofa-mbv3-w1.0', phase: 'test', tensors: randomSupernetWeights(w10, 9) });
  const calibratedFor = { subnetId: subnetId(mini, minConfig(mini, 24)), config: minConfig(mini, 24) };
  await writeCheckpoint(calibratedCkpt, { space: 'ofa-mbv3-mini', phase: 'expand-2', meta: { bnCalibratedFor: calibratedFor }, tensors: randomSupernetWeights(mini, 9) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ofa-farm subnet export', () => {
  it('writes a runnable ONNX file and prints {out, sha256, bytes, weightCount} (spawned bin)', async () => {
    const out = join(dir, 'a.onnx');
    const run = await spawnCli(['subnet', 'export', '--space', 'ofa-mbv3-mini', '--config', config, '--out', out, '--seed', '4', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]);
    const bytes = readFileSync(out);
    expect(summary).toEqual({ out, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, weightCount: expect.any(Number) });
    const expected = exportSubnet({ space: mini, config: minConfig(mini, 24), weights: randomSupernetWeights(mini, 4) });
    expect(summary.sha256).toBe(expected.sha256);
    expect(summary.weightCount).toBe(expected.weightCount);
    const logits = await runOnnx(new Uint8Array(bytes), new Float32Array(24 * 24).fill(0.5), [1, 1, 24, 24]);
    expect(logits.dims).toEqual([1, 10]);
  });

  it('rejects a bad config with exit code 2, one line, and no file (spawned bin)', async () => {
    const out = join(dir, 'bad.onnx');
    const run = await spawnCli(['subnet', 'export', '--space', 'ofa-mbv3-mini', '--config', JSON.stringify({ ...maxConfig(mini), ks: [4, ...Array(19).fill(3)] }), '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/ks\[0\] = 4 is not allowed; allowed values: 3, 5, 7/);
    expect(existsSync(out)).toBe(false);
  });

  it('exports from a checkpoint, with the same bytes as the library', async () => {
    const out = join(dir, 'ckpt.onnx');
    const run = await runCli(['subnet', 'export', '--space', 'ofa-mbv3-mini', '--config', config, '--out', out, '--checkpoint', ckpt]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^wrote .*ckpt\.onnx: [\d.]+ MB, \d+ weights, input \[1, 1, 24, 24\], sha256 [0-9a-f]{64}\n$/);
    const expected = exportSubnet({ space: mini, config: minConfig(mini, 24), weights: checkpointWeights(await readCheckpoint(ckpt)) });
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(expected.sha256);
  });

  it('warns when the checkpoint\'s BN statistics were recalibrated for another subnet, and still exports', async () => {
    const same = await runCli(['subnet', 'export', '--space', 'ofa-mbv3-mini', '--config', config, '--out', join(dir, 'same.onnx'), '--checkpoint', calibratedCkpt]);
    expect([same.code, same.stderr]).toEqual([0, '']);
    const other = JSON.stringify(maxConfig(mini, 24));
    const run = await runCli(['subnet', 'export', '--space', 'ofa-mbv3-mini', '--config', other, '--out', join(dir, 'other.onnx'), '--checkpoint', calibratedCkpt]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`warning: ${calibratedCkpt} holds BN statistics recalibrated for subnet ${subnetId(mini, minConfig(mini, 24))}, not for ${subnetId(mini, maxConfig(mini, 24))}`);
    expect(run.stderr).toMatch(/supernet calibrate/);
    expect(existsSync(join(dir, 'other.onnx'))).toBe(true);
  });

  it('rejects --seed with --checkpoint, a checkpoint of another space, a missing checkpoint and a bad seed', async () => {
    const out = join(dir, 'x.onnx');
    const base = ['subnet', 'export', '--space', 'ofa-mbv3-mini', '--config', config, '--out', out];
    const both = await runCli([...base, '--seed', '1', '--checkpoint', ckpt]);
    expect([both.code, both.stderr]).toEqual([2, 'ofa-farm: --seed and --checkpoint are exclusive; give one of them\n']);
    const other = await runCli([...base, '--checkpoint', otherCkpt]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a ofa-mbv3-w1.0 supernet, not ofa-mbv3-mini/);
    const missing = await runCli([...base, '--checkpoint', join(dir, 'none.ofa')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read checkpoint .*none\.ofa/);
    const seed = await runCli([...base, '--seed', 'abc']);
    expect([seed.code, seed.stderr]).toEqual([2, 'ofa-farm: --seed must be an integer, got "abc"\n']);
    expect(existsSync(out)).toBe(false);
  });
});
