import { beforeEach, describe, expect, it } from 'vitest';
import { subnetCost } from '../../../core/cost';
import { SPACES } from '../../../core/space';
import { repeatability } from '../../../server/twins/repeatability';
import { deviceRemeasurements } from '../../../server/twins/store';
import { describeEachDb } from '../../helpers/databases';
import { seedDevice, seedSweep } from '../../helpers/db-fixtures';
import { measureAll } from './measured-device';

const w10 = SPACES['ofa-mbv3-w1.0'];

describe('noise ceiling of a device', () => {
  it('judges consecutive re-measurements of each subnet, in time order', () => {
    const r = repeatability([
      { subnetId: 'anchor', ms: 10, at: 1 },
      { subnetId: 'anchor', ms: 13, at: 3 },
      { subnetId: 'anchor', ms: 10.4, at: 2 },
      { subnetId: 'b', ms: 20, at: 1 },
      { subnetId: 'b', ms: 20.6, at: 5 },
      { subnetId: 'once', ms: 7, at: 1 },
    ])!;
    // anchor: 10 -> 10.4 (+4%), 10.4 -> 13 (+25%); b: +3%
    expect(r).toMatchObject({ subnets: 2, pairs: 3, kendallTau: null });
    expect(r.within5).toBeCloseTo(2 / 3, 10);
    expect(r.within10).toBeCloseTo(2 / 3, 10);
    expect(r.rmspe).toBeCloseTo(Math.sqrt((0.04 ** 2 + 0.25 ** 2 + 0.03 ** 2) / 3), 10);
  });

  it('is unknown when no subnet was measured twice', () => {
    expect(repeatability([{ subnetId: 'a', ms: 1, at: 1 }, { subnetId: 'b', ms: 2, at: 1 }])).toBeNull();
  });
});

describeEachDb('noise ceiling from stored measurements', (getDb) => {
  beforeEach(() => getDb().reset());

  it('compares the two passes of a re-measured sweep, and ranks by the first and second measurement', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const latency = (macs: number) => 0.5 + macs / 40e6;
    const first = await seedSweep(db, device.id, 20, { startAt: new Date(Date.UTC(2032, 0, 1)), seed: 3 });
    await measureAll(db, device.id, first.subnets, (s) => latency(subnetCost(w10, s.config).macs));
    expect(repeatability(await deviceRemeasurements(db, device.id, w10))).toBeNull();

    const second = await seedSweep(db, device.id, 20, { startAt: new Date(Date.UTC(2032, 0, 1)), seed: 3 });
    expect(second.subnets.map((s) => s.id)).toEqual(first.subnets.map((s) => s.id));
    const drift = new Map(first.subnets.map((s, i) => [s.id, i < 16 ? 1.02 : i < 18 ? 1.08 : 1.3]));
    await measureAll(db, device.id, second.subnets, (s) => drift.get(s.id)! * latency(subnetCost(w10, s.config).macs));

    const r = repeatability(await deviceRemeasurements(db, device.id, w10))!;
    expect(r).toMatchObject({ subnets: 20, pairs: 20 });
    expect(r.within5).toBeCloseTo(16 / 20, 10);
    expect(r.within10).toBeCloseTo(18 / 20, 10);
    expect(r.kendallTau).toBeGreaterThan(0.8);
  });
});
