/**
 * `ofa-farm demo --train` end to end with a tiny budget: every quick-schedule phase capped at 2
 * steps on 256 training images, 12 subnets measured on 200 held-out images. The trainer runs as a
 * real child process, the accuracy records and predictor land in the coordinator's PGlite, and
 * each device's front is searched on predicted accuracy instead of the MACs proxy.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../models/checkpoint';
import { runCli, spawnCli } from '../helpers/cli';

describe('ofa-farm demo --train', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'ofa-farm-demo-train-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('rejects training flags without --train and a space other than ofa-mbv3-mini', async () => {
    const stray = await runCli(['demo', '--exit', '--max-steps', '2']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--max-steps only applies with --train/);
    const space = await runCli(['demo', '--exit', '--train', '--space', 'ofa-mbv3-w1.0']);
    expect(space.code).toBe(2);
    expect(space.stderr).toMatch(/--space must be ofa-mbv3-mini/);
    const few = await runCli(['demo', '--exit', '--train', '--accuracy-count', '3']);
    expect(few.code).toBe(2);
    expect(few.stderr).toMatch(/--accuracy-count/);
  });

  it('trains, measures accuracy, fits the predictor, sweeps mini subnets and prints fronts on predicted top-1', async () => {
    const args = ['demo', '--exit', '--port', '0', '--count', '5', '--train', '--max-steps', '2', '--train-limit', '256', '--accuracy-count', '12', '--valid-limit', '200'];
    const run = await spawnCli(args, { cwd, timeoutMs: 360_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/training ofa-mbv3-mini with progressive shrinking, schedule quick \(full -> kernel -> depth-1 -> depth-2 -> expand-1 -> expand-2/);
    // The trainer's own progress lines, forwarded.
    expect(run.stderr).toMatch(/\[6\/6\] expand-2 .* step 2\/2 loss \d/);
    const checkpoint = join(cwd, '.ofa-farm', 'trainer', 'ofa-mbv3-mini-quick-max2-train256.ofa');
    expect(run.stdout).toContain(`trained in`);
    expect(existsSync(checkpoint)).toBe(true);
    const saved = await readCheckpoint(checkpoint);
    expect(saved.phase).toBe('expand-2');
    expect((saved.meta.history as { phase: string; steps: number }[]).map((h) => [h.phase, h.steps])).toEqual([
      ['full', 2],
      ['kernel', 2],
      ['depth-1', 2],
      ['depth-2', 2],
      ['expand-1', 2],
      ['expand-2', 2],
    ]);
    expect(run.stdout).toMatch(/accuracy dataset: 12 sampled subnets of [0-9a-f]{12} \(0 already stored\), each BN-recalibrated and measured on 200 held-out images/);
    expect(run.stderr).toMatch(/measured 12\/12 subnets, mean top-1 \d+\.\d\d%/);
    expect(run.stdout).toMatch(/accuracy predictor ofa-mbv3-mini v1 \(3 x 400 MLP on the OFA encoding\): fitted on 10 records, held-out RMSE \d+\.\d\d points on 2 records/);
    // The sweep is of the trained space, and every device's front maximises predicted top-1.
    expect(run.stdout).toMatch(/sweep \d+: 5 ofa-mbv3-mini subnets/);
    const fronts = run.stdout.match(/Pareto front of \S+ on ofa-mbv3-mini \(twin \S+ v\d+; objective: predicted top-1 \(fitted: fitted on 12 records of checkpoint [0-9a-f]{64}\)/g) ?? [];
    expect(fronts.length).toBeGreaterThanOrEqual(1);
    expect(run.stdout).not.toMatch(/PROXY/);
    expect(run.stdout).toMatch(/budget ms\s+predicted ms\s+pred\. top-1\s+MMACs/);
  }, 400_000);
});
