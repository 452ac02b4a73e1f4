/**
 * The trainer's CLI commands end to end (in-process): bad input exits 2 with one clear line;
 * `supernet eval` measures recalibrated subnets; `accuracy build` stores records in the farm
 * database (PGlite in a temporary farm home).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPACES } from '../../core/space';
import { cliDbTarget } from '../../cli/farm-home';
import { openDb } from '../../db/client';
import { writeCheckpoint } from '../../models/checkpoint';
import { materializeSupernet, randomSupernetWeights } from '../../models/random-weights';
import { listAccuracyRecords } from '../../server/search/accuracy-store';
import { runCli } from '../helpers/cli';

const space = SPACES['ofa-mbv3-mini'];

describe('trainer CLI', () => {
  let dir = '';
  let checkpoint = '';
  const savedHome = process.env.OFA_FARM_HOME;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ofa-train-cli-'));
    checkpoint = join(dir, 'random.ofa');
    await writeCheckpoint(checkpoint, { space: space.name, phase: 'full', tensors: materializeSupernet(randomSupernetWeights(space, 1)) });
    process.env.OFA_FARM_HOME = join(dir, 'home');
  });
  afterAll(async () => {
    if (savedHome === undefined) delete process.env.OFA_FARM_HOME;
    else process.env.OFA_FARM_HOME = savedHome;
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects bad input with exit code 2 and one line naming the problem', async () => {
    const schedule = await runCli(['train', '--schedule', 'fast']);
    expect(schedule.code).toBe(2);
    expect(schedule.stderr).toMatch(/--schedule must be one of quick, paper/);
    const phase = await runCli(['train', '--phase', 'kernel', '--out', join(dir, 'x.ofa')]);
    expect(phase.code).toBe(2);
    expect(phase.stderr).toMatch(/phase kernel starts from the full phase's checkpoint: pass it with --resume/);
    const data = await runCli(['train', '--data', join(dir, 'no-data'), '--out', join(dir, 'x.ofa')]);
    expect(data.code).toBe(2);
    expect(data.stderr).toMatch(/not found in .*no-data.*apt-get install dataset-fashion-mnist/);
    const imagenet = await runCli(['train', '--space', 'ofa-mbv3-w1.0']);
    expect(imagenet.code).toBe(2);
    expect(imagenet.stderr).toMatch(/takes 3-channel images and 1000 classes.*use ofa-mbv3-mini/);
    const out = await runCli(['train', '--out', join(dir, 'x.pt')]);
    expect(out.code).toBe(2);
    const cfg = await runCli(['supernet', 'eval', '--checkpoint', checkpoint, '--config', '{"ks":[3]}']);
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toMatch(/ks must have 20 entries/);
  });

  it('supernet eval measures recalibrated subnets on the held-out split', async () => {
    const res = await runCli(['supernet', 'eval', '--checkpoint', checkpoint, '--extremes', '--valid-limit', '40', '--train-limit', '200', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.r)).toEqual([28, 16]);
    for (const l of lines) {
      expect(l.count).toBe(40);
      expect(l.top1).toBeGreaterThanOrEqual(0);
      expect(l.top1).toBeLessThanOrEqual(1);
    }
    expect(res.stderr).toMatch(/backend: tfjs/);
  });

  it('accuracy build stores N records keyed by the checkpoint sha256, and skips stored subnets on a rerun', async () => {
    const res = await runCli(['accuracy', 'build', '--checkpoint', checkpoint, '--count', '2', '--valid-limit', '30', '--train-limit', '200', '--seed', '4']);
    expect(res.code, res.stderr).toBe(0);
    const sha = createHash('sha256').update(await readFile(checkpoint)).digest('hex');
    const again = await runCli(['accuracy', 'build', '--checkpoint', checkpoint, '--count', '1', '--valid-limit', '30', '--train-limit', '200', '--seed', '4', '--json']);
    expect(again.code, again.stderr).toBe(0);
    // The same database the CLI used: $DATABASE_URL when set (CI's PostgreSQL run), else PGlite in the farm home.
    const handle = await openDb(cliDbTarget({}));
    try {
      const rows = await listAccuracyRecords(handle.db, space.name, sha);
      expect(rows.length).toBe(3);
      expect(new Set(rows.map((r) => r.subnetId)).size).toBe(3);
      rows.forEach((r) => expect(r.source).toBe('trainer'));
    } finally {
      await handle.close();
    }
  });
});
