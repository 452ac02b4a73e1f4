/**
 * `ofa-farm accuracy import-predictor`: the tutorial predictor lands in the farm database as an
 * `imported-reference` accuracy predictor (on PGlite and PostgreSQL), idempotently, and/or as a
 * JSON file the search can load; bad files exit 2 with one line and store nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeImportedPredictor } from '../../cli/commands/accuracy-import-predictor';
import type { SubnetConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { createRng } from '../../core/rng';
import { SPACES } from '../../core/space';
import { openDb } from '../../db/client';
import { accuracyPredictors } from '../../db/schema/index';
import { loadAccuracyPredictor } from '../../models/accuracy-predictor';
import { torchSave, type SaveDict } from '../../models/pytorch/torch-save';
import { TUTORIAL_PREDICTOR_SIZES, importTutorialPredictor } from '../../models/reference-predictor';
import { accuracyObjective } from '../../server/search/objective';
import { loadAccuracyPredictorRow } from '../../server/search/accuracy-store';
import { evolve } from '../../server/search/evolve';
import { runCli, spawnCli } from '../helpers/cli';
import { describeEachDb } from '../helpers/databases';

function tutorialStateDict(scale: number): SaveDict {
  const dict: SaveDict = {};
  [0, 2, 4, 6].forEach((index, l) => {
    const inputs = TUTORIAL_PREDICTOR_SIZES[l];
    const outputs = TUTORIAL_PREDICTOR_SIZES[l + 1];
    dict[`${index}.weight`] = { shape: [outputs, inputs], data: Float32Array.from({ length: inputs * outputs }, (_, i) => (scale * Math.sin(i * 0.37 + l)) / inputs) };
    dict[`${index}.bias`] = { shape: [outputs], data: Float32Array.from({ length: outputs }, (_, i) => (l === 3 ? 0.75 : Math.cos(i) / 20)) };
  });
  return dict;
}

const dir = mkdtempSync(join(tmpdir(), 'ofa-cli-predictor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'acc_predictor.pth');
writeFileSync(file, torchSave(tutorialStateDict(1)));

describeEachDb('storing imported reference predictors', (getDb) => {
  it('stores the next version per space, once per set of weights', async () => {
    const { db, reset } = getDb();
    await reset();
    const a = importTutorialPredictor(torchSave(tutorialStateDict(1)), { space: 'ofa-mbv3-w1.2', label: 'a.pth' });
    const b = importTutorialPredictor(torchSave(tutorialStateDict(2)), { space: 'ofa-mbv3-w1.2', label: 'b.pth' });
    const first = await storeImportedPredictor(db, a);
    expect(first).toMatchObject({ version: 1, created: true });
    expect(await storeImportedPredictor(db, a)).toEqual({ ...first, created: false });
    expect(await storeImportedPredictor(db, b)).toMatchObject({ version: 2, created: true });
    const rows = await db.select().from(accuracyPredictors);
    expect(rows).toHaveLength(2);
    const row = rows.find((r) => r.id === first.id)!;
    expect(row).toMatchObject({ space: 'ofa-mbv3-w1.2', origin: 'imported-reference', checkpointId: 'ofa_mbv3_d234_e346_k357_w1.2 (reference release)', nRecords: 0 });
    const loaded = loadAccuracyPredictor(row.model);
    expect(loaded.version).toBe(a.version);
    expect(loaded.origin.kind).toBe('imported');
    const configs = [{ ks: Array(20).fill(7), e: Array(20).fill(6), d: Array(5).fill(4), r: 224 }];
    expect(Array.from(loaded.predict(configs))).toEqual(Array.from(a.predict(configs)));
  });

  it('is what the search takes as the newest predictor of the space, and drives an evolution', async () => {
    const { db, reset } = getDb();
    await reset();
    const imported = importTutorialPredictor(torchSave(tutorialStateDict(3)), { space: 'ofa-mbv3-w1.2', label: 'acc_predictor.pth' });
    await storeImportedPredictor(db, imported);
    const newest = await loadAccuracyPredictorRow(db, 'ofa-mbv3-w1.2');
    expect(newest?.row.origin).toBe('imported-reference');
    expect(newest?.predictor.version).toBe(imported.version);
    const space = SPACES['ofa-mbv3-w1.2'];
    const macs = { predict: (configs: readonly SubnetConfig[]) => Float64Array.from(configs, (c) => subnetCost(space, c).macs / 1e6) };
    const objective = accuracyObjective(newest!.predictor);
    const result = evolve({ space, latency: macs, objective, budget: 400, rng: createRng('imported-predictor-search'), populationSize: 20, generations: 5 });
    expect(result.best.latency).toBeLessThanOrEqual(400);
    expect(result.best.score).toBeCloseTo(imported.predict([result.best.config])[0], 12);
    expect(objective.version).toBe(imported.version);
  });
});

describe('ofa-farm accuracy import-predictor', () => {
  const home = join(dir, 'farm');
  // The CLI reads its farm home from the environment (in-process runs share this worker's).
  const saved = { home: process.env.OFA_FARM_HOME, url: process.env.DATABASE_URL };
  beforeAll(() => {
    process.env.OFA_FARM_HOME = home;
    delete process.env.DATABASE_URL;
  });
  afterAll(() => {
    if (saved.home === undefined) delete process.env.OFA_FARM_HOME;
    else process.env.OFA_FARM_HOME = saved.home;
    if (saved.url !== undefined) process.env.DATABASE_URL = saved.url;
  });

  it('stores the predictor in the farm database, writes JSON, and is idempotent', async () => {
    const out = join(dir, 'predictor.json');
    const run = await spawnCli(['accuracy', 'import-predictor', '--from', file, '--space', 'ofa-mbv3-w1.2', '--out', out, '--json'], { env: { OFA_FARM_HOME: home, DATABASE_URL: '' } });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ space: 'ofa-mbv3-w1.2', encoding: 'ofa-tutorial-128', origin: { kind: 'imported', source: 'acc_predictor.pth' }, stored: { version: 1, created: true }, out });
    expect(result.samples).toHaveLength(3);
    expect(loadAccuracyPredictor(JSON.parse(readFileSync(out, 'utf8'))).version).toBe(result.version);
    const again = await runCli(['accuracy', 'import-predictor', '--from', file, '--space', 'ofa-mbv3-w1.2']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already stored as accuracy predictor \d+ \(ofa-mbv3-w1\.2 version 1\)/);
    expect(again.stdout).toMatch(/predicted accuracy: max subnet @224 \d+\.\d\d%/);
  }, 60_000);

  it('rejects a file that is not the tutorial predictor with one line, storing nothing', async () => {
    const bad = join(dir, 'not-a-predictor.pth');
    writeFileSync(bad, torchSave({ 'first_conv.conv.weight': { shape: [2], data: new Float32Array(2) } }));
    const run = await runCli(['accuracy', 'import-predictor', '--from', bad, '--space', 'ofa-mbv3-w1.2', '--no-store', '--out', join(dir, 'x.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/not-a-predictor\.pth: not the tutorial's accuracy predictor .*unexpected tensor "first_conv\.conv\.weight"/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
    const truncated = join(dir, 'truncated.pth');
    writeFileSync(truncated, readFileSync(file).subarray(0, 5000));
    const cut = await runCli(['accuracy', 'import-predictor', '--from', truncated, '--space', 'ofa-mbv3-w1.2', '--no-store', '--out', join(dir, 'y.json')]);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/truncated/);
    const nothing = await runCli(['accuracy', 'import-predictor', '--from', file, '--space', 'ofa-mbv3-w1.2', '--no-store']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/--no-store without --out would keep nothing/);
  });

  it('left the database with exactly one stored predictor', async () => {
    const handle = await openDb({ kind: 'pglite', dataDir: join(home, 'pglite') });
    try {
      expect(await handle.db.select({ id: accuracyPredictors.id }).from(accuracyPredictors)).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });
});
