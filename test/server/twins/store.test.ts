import { beforeEach, expect, it } from 'vitest';
import { subnetCost } from '../../../core/cost';
import { SPACES } from '../../../core/space';
import type { SubnetRow } from '../../../db/schema/subnets';
import { deviceSamples, listTwinVersions, loadActiveTwin, refitDeviceTwins } from '../../../server/twins/store';
import { describeEachDb } from '../../helpers/databases';
import { seedDevice, seedSweep } from '../../helpers/db-fixtures';
import { measureAll } from './measured-device';

const w10 = SPACES['ofa-mbv3-w1.0'];
describeEachDb('twin store', (getDb) => {
  beforeEach(() => getDb().reset());

  it('refits from stored measurements, versions every round and keeps one active twin', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const { subnets } = await seedSweep(db, device.id, 30, { startAt: new Date(Date.UTC(2032, 0, 1)), seed: 5 });
    const latency = (s: SubnetRow) => 0.5 + subnetCost(w10, s.config).macs / 40e6;
    await measureAll(db, device.id, subnets, latency);
    expect(await deviceSamples(db, device.id, w10)).toHaveLength(30);

    const first = await refitDeviceTwins(db, { deviceId: device.id, deviceName: device.name, space: w10.name, seed: 1 });
    expect(first!.version).toBe(1);
    const second = await refitDeviceTwins(db, { deviceId: device.id, deviceName: device.name, space: w10.name, seed: 1 });
    expect(second!.version).toBe(2);
    const rows = await listTwinVersions(db, device.id, w10.name);
    expect(rows.filter((r) => r.active)).toHaveLength(1);
    expect(rows.find((r) => r.active)!.version).toBe(2);
    expect(new Set(rows.map((r) => r.family))).toEqual(new Set(['macs', 'ridge', 'boosted']));

    const active = (await loadActiveTwin(db, device.id, w10.name))!;
    expect(active.row.family).toBe(second!.report.active);
    const probe = subnets.slice(0, 3);
    const predicted = active.twin.predict(probe.map((s) => s.config));
    probe.forEach((s, i) => expect(predicted[i] / latency(s)).toBeCloseTo(1, 1));
    expect(active.row.metrics.within10).toBeGreaterThan(0.9);
    expect(active.row.metrics.learningCurve.length).toBeGreaterThan(0);
  });

  it('gives a new device a transfer twin from another device twin', async () => {
    const { db } = getDb();
    const a = await seedDevice(db);
    const b = await seedDevice(db);
    const { subnets } = await seedSweep(db, a.id, 25, { startAt: new Date(Date.UTC(2032, 0, 1)), seed: 6 });
    await measureAll(db, a.id, subnets, (s) => 0.5 + subnetCost(w10, s.config).macs / 40e6);
    await refitDeviceTwins(db, { deviceId: a.id, deviceName: a.name, space: w10.name });
    const few = await seedSweep(db, b.id, 6, { startAt: new Date(Date.UTC(2032, 0, 1)), seed: 7 });
    await measureAll(db, b.id, few.subnets, (s) => 2 * (0.5 + subnetCost(w10, s.config).macs / 40e6));
    const fitted = await refitDeviceTwins(db, { deviceId: b.id, deviceName: b.name, space: w10.name });
    const transfer = fitted!.report.families.find((f) => f.family === 'transfer')!;
    expect(transfer.error).toBeNull();
    expect(transfer.cv!.within5).toBeGreaterThan(0.8);
  });
});
