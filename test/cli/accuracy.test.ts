/**
 * `ofa-farm accuracy import | fit | predictors` on a real PGlite farm home: records land once per
 * subnet, the predictor is fitted and stored with its held-out RMSE, bad lines exit 2 naming the line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { subnetCost } from '../../core/cost';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES } from '../../core/space';
import { parseAccuracyLines } from '../../cli/commands/accuracy';
import { runCli } from '../helpers/cli';

const mini = SPACES['ofa-mbv3-mini'];
const dir = mkdtempSync(join(tmpdir(), 'ofa-cli-accuracy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ofa-farm accuracy', () => {
  it('imports records, fits the predictor and lists it', async () => {
    const rng = createRng(4);
    const lines = Array.from({ length: 40 }, () => {
      const config = sampleConfig(mini, rng);
      return JSON.stringify({ config, top1: 100 * (0.5 + Math.log(subnetCost(mini, config).macs) / 100) });
    });
    const file = join(dir, 'acc.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const db = join(dir, 'home');
    const env = { OFA_FARM_HOME: db };
    const old = process.env.OFA_FARM_HOME;
    process.env.OFA_FARM_HOME = env.OFA_FARM_HOME;
    try {
      const bad = await runCli(['accuracy', 'import', file, '--space', 'ofa-mbv3-mini', '--checkpoint', 'ck1']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/line 1: top1 = .* is not a fraction in \[0, 1\]; give --percent/);
      const ok = await runCli(['accuracy', 'import', file, '--space', 'ofa-mbv3-mini', '--checkpoint', 'ck1', '--percent', '--json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ stored: 40, checkpoint: 'ck1' });
      const fit = await runCli(['accuracy', 'fit', '--space', 'ofa-mbv3-mini', '--epochs', '3', '--json']);
      expect(fit.stderr).toBe('');
      const fitted = JSON.parse(fit.stdout);
      expect(fitted).toMatchObject({ version: 1, origin: { kind: 'fitted', label: 'fitted on 40 records of checkpoint ck1' } });
      expect(fitted.metrics).toMatchObject({ trainCount: 32, heldOutCount: 8, epochs: 3 });
      const list = await runCli(['accuracy', 'predictors', '--space', 'ofa-mbv3-mini']);
      expect(list.stdout).toMatch(/ofa-mbv3-mini\s+1\s+trained\s+ck1\s+40/);
    } finally {
      if (old === undefined) delete process.env.OFA_FARM_HOME;
      else process.env.OFA_FARM_HOME = old;
    }
  });

  it('names the bad line of an accuracy file', () => {
    expect(() => parseAccuracyLines('{"config":{},"top1":0.5}\nnot json\n', false)).toThrow(/line 2: not JSON/);
    expect(() => parseAccuracyLines('{"config":{}}\n', false)).toThrow(/line 1: top1 is missing/);
    expect(parseAccuracyLines('{"ks":[3],"top1":0.5}\n', false)[0].config).toEqual({ ks: [3] });
  });
});
