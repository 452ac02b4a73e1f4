import { beforeEach, expect, it } from 'vitest';
import { subnetCost } from '../../../core/cost';
import { NotFoundError } from '../../../core/errors';
import { createRng } from '../../../core/rng';
import { sampleConfig } from '../../../core/sample';
import { SPACES } from '../../../core/space';
import { fitAndSaveAccuracyPredictor, importAccuracyRecords, listAccuracyRecords } from '../../../server/search/accuracy-store';
import { demoFronts } from '../../../server/search/demo';
import { computeDeviceFront, storedFront } from '../../../server/search/pareto-service';
import { refitDeviceTwins } from '../../../server/twins/store';
import { describeEachDb } from '../../helpers/databases';
import { seedDevice } from '../../helpers/db-fixtures';
import { measuredDevice } from '../twins/measured-device';

const w10 = SPACES['ofa-mbv3-w1.0'];
const latency = (config: Parameters<typeof subnetCost>[1]) => 0.5 + subnetCost(w10, config).macs / 40e6;
const quick = { generations: 15 };

describeEachDb('pareto service', (getDb) => {
  beforeEach(() => getDb().reset());

  it('stores fronts with the twin and predictor versions that made them', async () => {
    const { db } = getDb();
    const { device } = await measuredDevice(db, 20, (s) => latency(s.config));
    await refitDeviceTwins(db, { deviceId: device.id, deviceName: device.name, space: w10.name });

    await expect(computeDeviceFront(db, device, { space: w10.name, budgets: [8], objective: 'accuracy' })).rejects.toThrow(/no accuracy predictor.*--objective macs/);
    const rng = createRng(1);
    const records = Array.from({ length: 60 }, () => {
      const config = sampleConfig(w10, rng);
      return { config, top1: 0.6 + Math.log(subnetCost(w10, config).macs / 1e8) / 20 };
    });
    expect(await importAccuracyRecords(db, { space: w10.name, checkpoint: 'ckpt-a', source: 'import', records })).toEqual({ stored: 60 });
    // Importing the same subnets again replaces their accuracy instead of duplicating them.
    await importAccuracyRecords(db, { space: w10.name, checkpoint: 'ckpt-a', source: 'import', records: records.slice(0, 5).map((r) => ({ ...r, top1: 0.5 })) });
    expect(await listAccuracyRecords(db, w10.name)).toHaveLength(60);
    const fitted = await fitAndSaveAccuracyPredictor(db, { space: w10.name, fit: { hidden: [32, 32, 32], epochs: 10, batchSize: 16 } });
    expect(fitted.row.version).toBe(1);
    expect(fitted.predictor.origin.label).toBe('fitted on 60 records of checkpoint ckpt-a');

    const front = await computeDeviceFront(db, device, { space: w10.name, budgets: [9, 6], objective: 'accuracy', hyperParams: quick });
    expect(front.points.map((p) => p.budgetMs)).toEqual([6, 9]);
    expect(front.points[1].predictedAccuracy!).toBeGreaterThanOrEqual(front.points[0].predictedAccuracy!);
    front.points.forEach((p) => expect(p.predictedLatencyMs).toBeLessThanOrEqual(p.budgetMs!));
    expect(front.predictor).toMatchObject({ version: 1, label: 'fitted on 60 records of checkpoint ckpt-a' });
    expect(front.twin.version).toBe(1);
    expect(front.objective.proxy).toBe(false);
    expect(front.nonDominated.length).toBeGreaterThan(0);
    const again = await storedFront(db, front.runId);
    expect(again.points).toEqual(front.points);

    const proxy = await computeDeviceFront(db, device, { space: w10.name, auto: 3, objective: 'macs', hyperParams: quick });
    expect(proxy.objective).toMatchObject({ name: 'macs', proxy: true });
    expect(proxy.points).toHaveLength(3);
    expect(proxy.points[0].predictedAccuracy).toBeNull();
  });

  it('explains what is missing for a device without a twin', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const failure = computeDeviceFront(db, device, { space: w10.name, budgets: [8], objective: 'macs' });
    await expect(failure).rejects.toBeInstanceOf(NotFoundError);
    await expect(computeDeviceFront(db, device, { space: w10.name, budgets: [8], objective: 'macs' })).rejects.toThrow(/has no latency twin for ofa-mbv3-w1.0 yet/);
  });

  it('fits twins and prints a front for every measured device (the demo step)', async () => {
    const { db } = getDb();
    const { device } = await measuredDevice(db, 12, (s) => latency(s.config));
    const lines: string[] = [];
    const results = await demoFronts(db, { space: w10.name, log: (l) => lines.push(l), budgets: 3, generations: 5 });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ device: device.name, error: null });
    expect(results[0].front!.points).toHaveLength(3);
    expect(lines.join('\n')).toMatch(new RegExp(`twin of ${device.name}: .* on 12 subnets`));
    expect(lines.join('\n')).toMatch(/Pareto front of .*objective: MACs, a PROXY for accuracy/);
  });
});
