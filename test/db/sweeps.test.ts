import { eq } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors';
import { expireLeases, leaseNextJob, releaseJob } from '../../db/queries/queue';
import { recordResult } from '../../db/queries/results';
import { cancelSweep, nextSlot, spawnDueRepeats } from '../../db/queries/sweep-control';
import { createSweep, getSweep, listSweepJobs, listSweeps, sweepProgress } from '../../db/queries/sweeps';
import { jobs } from '../../db/schema/jobs';
import { sweeps } from '../../db/schema/sweeps';
import { describeEachDb } from '../helpers/databases';
import { okMeasurement, seedDevice, seedSubnets, seedSweep } from '../helpers/db-fixtures';

const t = (s: number) => new Date(Date.UTC(2033, 0, 1, 0, 0, s));
const lease = { ownerId: 'coord-a', leaseMs: 10_000 };

describeEachDb('sweeps', (getDb) => {
  beforeEach(() => getDb().reset());

  it('creates a sweep with its jobs in order, with anchors, and reports progress', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const subnets = await seedSubnets(db, 4, { seed: 3 });
    const sweep = await createSweep(db, {
      deviceId: device.id,
      space: 'ofa-mbv3-w1.0',
      strategy: 'list',
      seed: 7,
      settings: { runs: 50, warmupRuns: 10 },
      jobs: [{ subnetId: subnets[0].id, anchor: true }, ...subnets.slice(1).map((s) => ({ subnetId: s.id })), { subnetId: subnets[0].id, anchor: true }],
      startAt: t(0),
    });
    expect(sweep).toMatchObject({ count: 3, remaining: 5, status: 'active', seed: 7 });
    expect(sweep.settings).toMatchObject({ runs: 50, warmupRuns: 10, maxCv: 0.1 });
    const list = await listSweepJobs(db, sweep.id);
    expect(list.map((j) => j.position)).toEqual([0, 1, 2, 3, 4]);
    expect(list.map((j) => j.anchor)).toEqual([true, false, false, false, true]);
    expect(await sweepProgress(db, sweep.id)).toEqual({ queued: 5, leased: 0, done: 0, failed: 0, cancelled: 0, total: 5 });
    const [view] = await listSweeps(db, { deviceId: device.id, now: t(1) });
    expect(view).toMatchObject({ id: sweep.id, deviceName: device.name, state: 'running' });
    expect((await getSweep(db, sweep.id, new Date(t(0).getTime() - 1)))?.state).toBe('scheduled');
  });

  it('stores nothing when any part of a sweep is bad', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const [subnet] = await seedSubnets(db, 1);
    const base = { deviceId: device.id, space: 'ofa-mbv3-w1.0', strategy: 'list' as const };
    await expect(createSweep(db, { ...base, jobs: [{ subnetId: subnet.id }, { subnetId: 'no-such-subnet' }] })).rejects.toThrow(ValidationError);
    await expect(createSweep(db, { ...base, jobs: [] })).rejects.toThrow(/at least one job/);
    await expect(createSweep(db, { ...base, jobs: [{ subnetId: subnet.id, partKey: 'p' }] })).rejects.toThrow(/exactly one of/);
    await expect(createSweep(db, { ...base, settings: { runs: 0 }, jobs: [{ subnetId: subnet.id }] })).rejects.toThrow(/settings are invalid: runs/);
    await expect(createSweep(db, { ...base, repeatEveryMs: 5, jobs: [{ subnetId: subnet.id }] })).rejects.toThrow(/repeat interval/);
    await expect(createSweep(db, { ...base, strategy: 'nope' as 'list', jobs: [{ subnetId: subnet.id }] })).rejects.toThrow(/strategy "nope"/);
    await expect(createSweep(db, { ...base, deviceId: '00000000-0000-0000-0000-000000000000', jobs: [{ subnetId: subnet.id }] })).rejects.toThrow(NotFoundError);
    expect(await db.select().from(sweeps)).toHaveLength(0);
    expect(await db.select().from(jobs)).toHaveLength(0);
  });

  it('cancels: queued jobs at once, leased ones when released or expired, results still kept', async () => {
    const { db } = getDb();
    const device = await seedDevice(db, { host: 'h1' });
    const other = await seedDevice(db, { host: 'h2' });
    const { sweep } = await seedSweep(db, device.id, 3, { startAt: t(0) });
    const { sweep: sweep2 } = await seedSweep(db, other.id, 2, { startAt: t(0) });
    const leased = (await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(1) }))!;
    const leased2 = (await leaseNextJob(db, { deviceId: other.id, ...lease, now: t(1) }))!;
    const result = await cancelSweep(db, sweep.id, { reason: 'wrong settings', now: t(2) });
    expect(result.cancelledJobs).toBe(2);
    expect(result.leasedJobs.map((j) => j.id)).toEqual([leased.id]);
    expect(result.sweep).toMatchObject({ status: 'cancelled', cancelReason: 'wrong settings', remaining: 1, finishedAt: null });
    expect(await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(3) })).toBeNull();
    const released = await releaseJob(db, { jobId: leased.id, attempt: 1, reason: 'cancelled by coordinator', now: t(3) });
    expect(released?.outcome).toBe('cancelled');
    const after = await getSweep(db, sweep.id);
    expect(after).toMatchObject({ status: 'cancelled', state: 'cancelled', remaining: 0 });
    expect(after?.finishedAt).not.toBeNull();
    expect(after?.progress).toMatchObject({ cancelled: 3 });
    // Cancelling again is a no-op; the other device's sweep was never touched.
    expect((await cancelSweep(db, sweep.id)).cancelledJobs).toBe(0);
    expect((await getSweep(db, sweep2.id))?.progress).toMatchObject({ leased: 1, queued: 1 });
    // A result for a cancel-requested lease still completes the job (the data is good).
    await cancelSweep(db, sweep2.id, { now: t(4) });
    const r = await recordResult(db, { jobId: leased2.id, attempt: 1, deviceId: other.id, measurement: okMeasurement(), now: t(5) });
    expect(r.outcome).toBe('done');
    expect(await getSweep(db, sweep2.id)).toMatchObject({ status: 'cancelled', remaining: 0 });
    await expect(cancelSweep(db, 123_456)).rejects.toThrow(NotFoundError);
  });

  it('an expired lease of a cancelled sweep ends cancelled; a done sweep cannot be cancelled', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const { sweep } = await seedSweep(db, device.id, 1, { startAt: t(0) });
    await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(1) });
    await cancelSweep(db, sweep.id, { now: t(2) });
    const expired = await expireLeases(db, { now: t(30) });
    expect(expired.map((e) => e.outcome)).toEqual(['cancelled']);
    const { sweep: done } = await seedSweep(db, device.id, 1, { startAt: t(0) });
    const job = (await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(31) }))!;
    await recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: okMeasurement() });
    await expect(cancelSweep(db, done.id)).rejects.toThrow(ConflictError);
  });

  it('repeats: one successor per started sweep, same jobs, at the next slot; cancel stops the chain', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const day = 24 * 3600 * 1000;
    const { sweep } = await seedSweep(db, device.id, 3, { startAt: t(0), repeatEveryMs: day });
    expect(await spawnDueRepeats(db, { now: new Date(t(0).getTime() - 1) })).toHaveLength(0);
    const [spawned, ...more] = await Promise.all([spawnDueRepeats(db, { now: t(10) }), spawnDueRepeats(db, { now: t(10) })]).then((r) => r.flat());
    expect(more).toHaveLength(0);
    expect(spawned).toMatchObject({ previousSweepId: sweep.id, repeatEveryMs: day, remaining: 3 });
    expect(spawned.startAt.getTime()).toBe(t(0).getTime() + day);
    const original = await listSweepJobs(db, sweep.id);
    const copied = await listSweepJobs(db, spawned.id);
    expect(copied.map((j) => j.subnetId)).toEqual(original.map((j) => j.subnetId));
    expect(copied.every((j) => j.notBefore.getTime() === spawned.startAt.getTime() && j.status === 'queued')).toBe(true);
    expect(await spawnDueRepeats(db, { now: t(20) })).toHaveLength(0);
    expect((await getSweep(db, spawned.id, t(20)))?.state).toBe('scheduled');
    const cancelled = await cancelSweep(db, sweep.id, { now: t(30) });
    expect(cancelled.cancelledSuccessors).toEqual([spawned.id]);
    expect(await spawnDueRepeats(db, { now: new Date(t(0).getTime() + 3 * day) })).toHaveLength(0);
    const rows = await db.select().from(sweeps).where(eq(sweeps.deviceId, device.id));
    expect(rows).toHaveLength(2);
  });
});

it('nextSlot skips missed slots', () => {
  const start = new Date(0);
  expect(nextSlot(start, 1000, new Date(0)).getTime()).toBe(1000);
  expect(nextSlot(start, 1000, new Date(2500)).getTime()).toBe(3000);
  expect(nextSlot(start, 1000, new Date(3000)).getTime()).toBe(3000);
});
