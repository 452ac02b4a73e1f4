/**
 * Several coordinators on one database: two handles (two connection pools on Postgres) lease,
 * report and expire in parallel. On PGlite the same code runs serialized (one connection).
 */
import { eq } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { expireLeases, leaseNextJob, releaseJob } from '../../db/queries/queue';
import { recordResult } from '../../db/queries/results';
import { getSweep } from '../../db/queries/sweeps';
import { jobs } from '../../db/schema/jobs';
import { measurements } from '../../db/schema/measurements';
import type { SweepRow } from '../../db/schema/sweeps';
import { describeEachDb } from '../helpers/databases';
import { okMeasurement, seedDevice, seedSweep } from '../helpers/db-fixtures';

const LEASE = { leaseMs: 60_000 };

describeEachDb('concurrency', (getDb) => {
  let dbs: [Db, Db];
  beforeEach(async () => {
    await getDb().reset();
    dbs = [getDb().db, (await getDb().openAnother()).db];
  });

  it('parallel leasing never hands out one job twice, and one lease per host', async () => {
    const devices = await Promise.all(Array.from({ length: 8 }, (_, i) => seedDevice(dbs[0], { host: `host-${i % 4}` })));
    for (const d of devices) await seedSweep(dbs[0], d.id, 3);
    const calls = devices.flatMap((d, i) => [0, 1, 2].map((k) => leaseNextJob(dbs[(i + k) % 2], { deviceId: d.id, ownerId: `coord-${(i + k) % 2}`, ...LEASE })));
    const leased = (await Promise.all(calls)).filter((j) => j !== null);
    expect(new Set(leased.map((j) => j.id)).size).toBe(leased.length);
    const hostOf = new Map(devices.map((d) => [d.id, d.hostKey]));
    const hosts = leased.map((j) => hostOf.get(j.deviceId));
    expect(new Set(hosts).size).toBe(hosts.length);
    expect(leased).toHaveLength(4);
  });

  it('same-host exclusion holds round after round under contention', async () => {
    const devices = await Promise.all(Array.from({ length: 6 }, () => seedDevice(dbs[0], { host: 'shared-box' })));
    for (const d of devices) await seedSweep(dbs[0], d.id, 4);
    for (let round = 0; round < 6; round++) {
      const leased = (
        await Promise.all(devices.flatMap((d, i) => [0, 1].map((k) => leaseNextJob(dbs[(i + k) % 2], { deviceId: d.id, ownerId: 'c', ...LEASE }))))
      ).filter((j) => j !== null);
      expect(leased).toHaveLength(1);
      const [job] = leased;
      await releaseJob(dbs[round % 2], { jobId: job.id, attempt: job.attempt, reason: 'next round', charge: false });
    }
  });

  it('two coordinators drain a sweep: every job measured exactly once', async () => {
    const devices = await Promise.all(Array.from({ length: 4 }, () => seedDevice(dbs[0])));
    const sweeps: SweepRow[] = [];
    for (const d of devices) sweeps.push((await seedSweep(dbs[0], d.id, 6)).sweep);
    const leases: string[] = [];
    const worker = async (w: number) => {
      // Bounded: each worker gives up after 200 empty or busy tries.
      for (let tries = 0; tries < 200; tries++) {
        const device = devices[(w + tries) % devices.length];
        const db = dbs[w % 2];
        const job = await leaseNextJob(db, { deviceId: device.id, ownerId: `coord-${w % 2}`, ...LEASE });
        if (!job) {
          if ((await Promise.all(sweeps.map((s) => getSweep(db, s.id)))).every((s) => s?.status === 'done')) return;
          continue;
        }
        leases.push(`${job.id}:${job.attempt}`);
        const result = await recordResult(dbs[(w + 1) % 2], { jobId: job.id, attempt: job.attempt, deviceId: device.id, measurement: okMeasurement() });
        expect(result.outcome).toBe('done');
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map(worker));
    expect(leases).toHaveLength(24);
    expect(new Set(leases).size).toBe(24);
    const rows = await dbs[0].select().from(measurements);
    expect(rows).toHaveLength(24);
    expect(new Set(rows.map((r) => r.jobId)).size).toBe(24);
    for (const s of sweeps) expect(await getSweep(dbs[0], s.id)).toMatchObject({ status: 'done', remaining: 0, progress: { done: 6 } });
  });

  it('a result delivered many times at once is stored once', async () => {
    const device = await seedDevice(dbs[0]);
    await seedSweep(dbs[0], device.id, 1);
    const job = (await leaseNextJob(dbs[0], { deviceId: device.id, ownerId: 'c', ...LEASE }))!;
    const m = okMeasurement(7);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => recordResult(dbs[i % 2], { jobId: job.id, attempt: 1, deviceId: device.id, measurement: m })));
    expect(results.filter((r) => r.stored)).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'done')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(7);
    expect(await dbs[0].select().from(measurements).where(eq(measurements.jobId, job.id))).toHaveLength(1);
  });

  it('two coordinators expiring at once handle each expired lease once', async () => {
    const devices = await Promise.all(Array.from({ length: 10 }, () => seedDevice(dbs[0])));
    for (const d of devices) await seedSweep(dbs[0], d.id, 1);
    for (const d of devices) await leaseNextJob(dbs[0], { deviceId: d.id, ownerId: 'c', leaseMs: 1 });
    const later = new Date(Date.now() + 60_000);
    const settled = (await Promise.all([expireLeases(dbs[0], { now: later }), expireLeases(dbs[1], { now: later }), expireLeases(dbs[1], { now: later })])).flat();
    expect(settled).toHaveLength(10);
    expect(new Set(settled.map((s) => s.job.id)).size).toBe(10);
    const rows = await dbs[0].select().from(jobs);
    expect(rows.every((j) => j.status === 'queued' && j.failures === 1)).toBe(true);
  });
});
