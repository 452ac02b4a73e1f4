import { beforeEach, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError, ValidationError } from '../../core/errors';
import { listDevices } from '../../db/queries/devices';
import { listMeasurements, measurementsForSubnet } from '../../db/queries/measurements';
import { expireLeases, getJob, leaseNextJob } from '../../db/queries/queue';
import { recordResult } from '../../db/queries/results';
import { getSweep } from '../../db/queries/sweeps';
import { describeEachDb } from '../helpers/databases';
import { failedMeasurementOf, okMeasurement, seedDevice, seedSweep } from '../helpers/db-fixtures';

const t = (s: number) => new Date(Date.UTC(2032, 0, 1, 0, 0, s));
const lease = { ownerId: 'coord-a', leaseMs: 10_000 };

describeEachDb('results', (getDb) => {
  beforeEach(() => getDb().reset());

  it('stores a result once, completes the job and finishes the sweep', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const { sweep, subnets } = await seedSweep(db, device.id, 1, { startAt: t(0) });
    const job = (await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(1) }))!;
    const m = okMeasurement(12.5, 40);
    const first = await recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: m, now: t(2) });
    expect(first).toMatchObject({ stored: true, outcome: 'done' });
    expect(first.job.status).toBe('done');
    expect(first.measurement.counted).toBe(true);
    expect(first.measurement.medianMs).toBeCloseTo(m.stats!.medianMs, 12);
    expect(first.measurement.samplesMs).toEqual(m.samplesMs);
    expect(first.measurement.provenance).toEqual(m.provenance);
    expect(first.measurement.startedAt.getTime()).toBe(m.startedAt);
    // The agent resends (lost ack): nothing new is stored, nothing changes.
    const again = await recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: okMeasurement(99), now: t(3) });
    expect(again).toMatchObject({ stored: false, outcome: 'duplicate' });
    expect(again.measurement.id).toBe(first.measurement.id);
    expect(again.measurement.medianMs).toBeCloseTo(12.5, 6);
    const rows = await listMeasurements(db, { deviceId: device.id, space: 'ofa-mbv3-w1.0' });
    expect(rows).toHaveLength(1);
    expect(rows[0].samplesMs).toEqual([]);
    expect(rows[0].r).toBe(subnets[0].r);
    expect(rows[0].macs).toBe(subnets[0].macs);
    expect((await listMeasurements(db, { deviceId: device.id, withSamples: true }))[0].samplesMs).toHaveLength(40);
    expect(await listMeasurements(db, { deviceId: device.id, space: 'ofa-mbv3-mini' })).toHaveLength(0);
    expect(await measurementsForSubnet(db, subnets[0].id)).toHaveLength(1);
    const view = await getSweep(db, sweep.id);
    expect(view).toMatchObject({ status: 'done', state: 'done', remaining: 0 });
    expect(view?.progress).toMatchObject({ done: 1, total: 1 });
    const [listed] = await listDevices(db);
    expect(listed.measurementCount).toBe(1);
  });

  it('keeps a late result as uncounted data and leaves the re-leased job alone', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    await seedSweep(db, device.id, 1, { startAt: t(0) });
    const job = (await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(1) }))!;
    await expireLeases(db, { now: t(20) });
    const second = (await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(21) }))!;
    expect(second.attempt).toBe(2);
    const late = await recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: okMeasurement(10), now: t(22) });
    expect(late).toMatchObject({ stored: true, outcome: 'late' });
    expect(late.measurement.counted).toBe(false);
    expect((await getJob(db, job.id))?.status).toBe('leased');
    const onTime = await recordResult(db, { jobId: job.id, attempt: 2, deviceId: device.id, measurement: okMeasurement(11), now: t(23) });
    expect(onTime.outcome).toBe('done');
    expect(await listMeasurements(db, { deviceId: device.id })).toHaveLength(1);
    expect(await listMeasurements(db, { deviceId: device.id, includeUncounted: true })).toHaveLength(2);
    const [listed] = await listDevices(db);
    expect(listed.measurementCount).toBe(1);
    // A resend after the job is done is still just a duplicate.
    const after = await recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: okMeasurement(10) });
    expect(after.outcome).toBe('duplicate');
  });

  it('rejects results from another device and for attempts never leased, storing nothing', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const intruder = await seedDevice(db);
    await seedSweep(db, device.id, 1, { startAt: t(0) });
    const job = (await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(1) }))!;
    await expect(recordResult(db, { jobId: job.id, attempt: 1, deviceId: intruder.id, measurement: okMeasurement() })).rejects.toThrow(ForbiddenError);
    await expect(recordResult(db, { jobId: job.id, attempt: 2, deviceId: device.id, measurement: okMeasurement() })).rejects.toThrow(/no attempt 2/);
    await expect(recordResult(db, { jobId: 999_999, attempt: 1, deviceId: device.id, measurement: okMeasurement() })).rejects.toThrow(NotFoundError);
    const bad = { ...okMeasurement(), stats: { ...okMeasurement().stats!, minMs: -1 } };
    await expect(recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: bad })).rejects.toThrow(ValidationError);
    await expect(recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: { ...okMeasurement(), stats: null } })).rejects.toThrow(/stats is required/);
    expect(await listMeasurements(db, { deviceId: device.id, includeUncounted: true })).toHaveLength(0);
    expect(await listMeasurements(db, { deviceId: intruder.id, includeUncounted: true })).toHaveLength(0);
    expect((await getJob(db, job.id))?.status).toBe('leased');
  });

  it('stores failures as rows; retries, then fails the job with the error', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const { sweep } = await seedSweep(db, device.id, 1, { startAt: t(0), maxAttempts: 2 });
    const job = (await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(1) }))!;
    const first = await recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: failedMeasurementOf('out of memory') });
    expect(first.outcome).toBe('requeued');
    expect(first.job).toMatchObject({ status: 'queued', failures: 1 });
    await leaseNextJob(db, { deviceId: device.id, ...lease, now: t(2) });
    const second = await recordResult(db, { jobId: job.id, attempt: 2, deviceId: device.id, measurement: failedMeasurementOf('out of memory again') });
    expect(second.outcome).toBe('failed');
    expect(second.job.lastError).toMatch(/measurement failed: out of memory again/);
    const failures = await listMeasurements(db, { deviceId: device.id, statuses: ['failed'] });
    expect(failures.map((f) => f.error)).toEqual(['out of memory', 'out of memory again']);
    expect((await getSweep(db, sweep.id))?.progress).toMatchObject({ failed: 1 });
    const [listed] = await listDevices(db);
    expect(listed).toMatchObject({ measurementCount: 0, failedCount: 2 });
  });
});
