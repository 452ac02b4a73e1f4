/** Test helper: a device whose sweep jobs are leased and answered with given latencies, through the real queries. */
import { summarize, type Measurement } from '../../../core/measurement';
import type { Db } from '../../../db/client';
import { leaseNextJob } from '../../../db/queries/queue';
import { recordResult } from '../../../db/queries/results';
import type { SubnetRow } from '../../../db/schema/subnets';
import { okMeasurement, seedDevice, seedSweep } from '../../helpers/db-fixtures';

const t = (s: number) => new Date(Date.UTC(2032, 0, 1, 0, 0, s));

function measured(ms: number): Measurement {
  const m = okMeasurement(ms, 30);
  return { ...m, stats: summarize(m.samplesMs) };
}

export async function measureAll(db: Db, deviceId: string, subnets: readonly SubnetRow[], latency: (s: SubnetRow) => number): Promise<void> {
  const byId = new Map(subnets.map((s) => [s.id, s]));
  for (let i = 0; i < subnets.length; i++) {
    const job = (await leaseNextJob(db, { deviceId, ownerId: 'test', leaseMs: 60_000, now: t(i + 1) }))!;
    await recordResult(db, { jobId: job.id, attempt: 1, deviceId, measurement: measured(latency(byId.get(job.subnetId!)!)), now: t(i + 1) });
  }
}

/** A registered device with `n` measured subnets of ofa-mbv3-w1.0. */
export async function measuredDevice(db: Db, n: number, latency: (s: SubnetRow) => number, seed = 5) {
  const device = await seedDevice(db);
  const { sweep, subnets } = await seedSweep(db, device.id, n, { startAt: t(0), seed });
  await measureAll(db, device.id, subnets, latency);
  return { device, sweep, subnets };
}
