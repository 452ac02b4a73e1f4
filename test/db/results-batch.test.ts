import { asc } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { expireLeases, leaseNextJob } from '../../db/queries/queue';
import { recordResult, type RecordResultInput } from '../../db/queries/results';
import { recordResults, type BatchOutcome } from '../../db/queries/results-batch';
import { jobs, measurements, sweeps } from '../../db/schema/index';
import type { Db } from '../../db/client';
import { describeEachDb } from '../helpers/databases';
import { failedMeasurementOf, okMeasurement, seedDevice, seedSweep } from '../helpers/db-fixtures';

const t = (s: number) => new Date(Date.UTC(2032, 0, 1, 0, 0, s));

/** Five devices with a sweep of two jobs each, one job of each leased; device 5's first lease expired and was re-leased. */
async function scenario(db: Db): Promise<RecordResultInput[]> {
  const devices: Array<{ id: string }> = [];
  for (let i = 1; i <= 5; i++) {
    const d = await seedDevice(db, { name: `d${i}` });
    await seedSweep(db, d.id, 2, { startAt: t(0), seed: i });
    devices.push(d);
  }
  const leased: Array<{ id: number }> = [];
  // device 5's lease is short: it alone expires at t(20)
  for (const [i, d] of devices.entries()) leased.push((await leaseNextJob(db, { deviceId: d.id, ownerId: 'coord-a', leaseMs: i === 4 ? 1000 : 60_000, now: t(1) }))!);
  await recordResult(db, { jobId: leased[3].id, attempt: 1, deviceId: devices[3].id, measurement: okMeasurement(4), now: t(2) });
  await expireLeases(db, { now: t(20) });
  const relet = (await leaseNextJob(db, { deviceId: devices[4].id, ownerId: 'coord-a', leaseMs: 60_000, now: t(21) }))!;
  expect(relet).toMatchObject({ id: leased[4].id, attempt: 2 });
  const r = (i: number, attempt = 1, device = i, m = okMeasurement(10 + i)): RecordResultInput => ({ jobId: leased[i].id, attempt, deviceId: devices[device].id, measurement: m, now: t(22) });
  return [
    r(0), // done
    r(0, 1, 0, okMeasurement(99)), // a copy in the same batch: duplicate of the first
    r(1), // done
    r(2, 1, 3), // another device's job: forbidden
    { ...r(1), jobId: 999_999 }, // no such job
    r(2, 7), // an attempt never leased
    r(3), // stored before: duplicate
    r(4, 1), // lease expired: late
    r(4, 2), // the current attempt: done
    r(2, 1, 2, failedMeasurementOf('boom')), // failed ones go one by one
    r(2, 1, 2, { ...okMeasurement(1), stats: null }), // invalid
  ];
}

const summary = (o: BatchOutcome) =>
  o.ok ? { outcome: o.value.outcome, stored: o.value.stored, counted: o.value.measurement.counted, job: o.value.job.status, median: o.value.measurement.medianMs } : { error: (o.error as Error).name };

async function state(db: Db) {
  return {
    jobs: (await db.select({ id: jobs.id, status: jobs.status, attempt: jobs.attempt, failures: jobs.failures }).from(jobs).orderBy(asc(jobs.id))),
    sweeps: (await db.select({ id: sweeps.id, status: sweeps.status, remaining: sweeps.remaining }).from(sweeps).orderBy(asc(sweeps.id))),
    measurements: (await db.select({ jobId: measurements.jobId, attempt: measurements.attempt, counted: measurements.counted, median: measurements.medianMs }).from(measurements).orderBy(asc(measurements.jobId), asc(measurements.attempt))),
  };
}

describeEachDb('results in batches', (getDb) => {
  beforeEach(() => getDb().reset());

  it('gives every input the outcome recordResult gives one after the other, and leaves the same state', async () => {
    const { db } = getDb();
    const inputs = await scenario(db);
    const batched = (await recordResults(db, inputs)).map(summary);
    const after = await state(db);

    await getDb().reset();
    const again = await scenario(db);
    const sequential: BatchOutcome[] = [];
    for (const input of again.slice(0, -2)) {
      try {
        sequential.push({ ok: true, value: await recordResult(db, input) });
      } catch (error) {
        sequential.push({ ok: false, error });
      }
    }
    expect(batched.slice(0, -2)).toEqual(sequential.map(summary));
    expect(batched.slice(-2)).toEqual([{ error: 'ValidationError' }, { error: 'ValidationError' }]);
    expect(batched.map((b) => ('outcome' in b ? b.outcome : b.error))).toEqual(['done', 'duplicate', 'done', 'ForbiddenError', 'NotFoundError', 'ValidationError', 'duplicate', 'late', 'done', 'ValidationError', 'ValidationError']);
    expect(await state(db)).toEqual(after);
    expect(after.sweeps.map((s) => s.remaining)).toEqual([1, 1, 2, 1, 1]);
  });

  it('stores each result once when the same batch is delivered several times at once', async () => {
    const { db } = getDb();
    const inputs = (await scenario(db)).slice(0, 9);
    const runs = await Promise.all([recordResults(db, inputs), recordResults(db, inputs), recordResults(db, [...inputs].reverse())]);
    const stored = runs.flat().filter((o) => o.ok && o.value.stored).length;
    expect(stored).toBe(4); // d1, d2, d5 attempt 1 (late) and attempt 2
    const rows = await db.select().from(measurements);
    expect(rows.filter((m) => m.counted).map((m) => m.jobId).sort()).toEqual([...new Set(rows.filter((m) => m.counted).map((m) => m.jobId))].sort());
    expect(rows).toHaveLength(5);
    expect((await state(db)).sweeps.map((s) => s.remaining)).toEqual([1, 1, 2, 1, 1]);
  });
});
