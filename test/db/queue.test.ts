import { beforeEach, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { LEASE_CAP } from '../../db/queries/job-settle';
import { expireLeases, extendLease, getJob, getJobContext, leaseNextJob, listLeasedJobs, parseJobId, releaseJob, setJobArtifact } from '../../db/queries/queue';
import { putArtifact } from '../../db/queries/artifacts';
import { getSweep } from '../../db/queries/sweeps';
import { describeEachDb } from '../helpers/databases';
import { seedDevice, seedSweep } from '../helpers/db-fixtures';

const OWNER = 'coord-a';
const t = (s: number) => new Date(Date.UTC(2031, 0, 1, 0, 0, s));

describeEachDb('job queue', (getDb) => {
  beforeEach(() => getDb().reset());

  it('leases the oldest eligible job, sets the deadline and counts attempts', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const { sweep } = await seedSweep(db, device.id, 3, { startAt: t(0) });
    const job = await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 30_000, now: t(1) });
    expect(job).not.toBeNull();
    expect(job!.sweepId).toBe(sweep.id);
    expect(job!.position).toBe(0);
    expect(job!.status).toBe('leased');
    expect(job!.attempt).toBe(1);
    expect(job!.leaseOwner).toBe(OWNER);
    expect(job!.leaseExpiresAt!.getTime()).toBe(t(31).getTime());
    // The device (its host) is busy now: no second job.
    expect(await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 30_000, now: t(2) })).toBeNull();
    const ctx = await getJobContext(db, job!.id);
    expect(ctx?.subnet?.id).toBe(job!.subnetId);
    expect(ctx?.sweep.settings.runs).toBe(30);
    expect(ctx?.sweep.settings.warmupRuns).toBe(5);
    expect(await listLeasedJobs(db, { deviceId: device.id })).toHaveLength(1);
  });

  it('does not dispatch a scheduled sweep before its start time', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    await seedSweep(db, device.id, 1, { startAt: t(100) });
    expect(await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 1000, now: t(99) })).toBeNull();
    expect(await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 1000, now: t(100) })).not.toBeNull();
  });

  it('never leases to two devices of one host at the same time', async () => {
    const { db } = getDb();
    const a = await seedDevice(db, { host: 'bench-box' });
    const b = await seedDevice(db, { host: 'bench-box' });
    const c = await seedDevice(db);
    for (const d of [a, b, c]) await seedSweep(db, d.id, 2, { startAt: t(0) });
    const ja = await leaseNextJob(db, { deviceId: a.id, ownerId: OWNER, leaseMs: 10_000, now: t(1) });
    expect(ja).not.toBeNull();
    expect(await leaseNextJob(db, { deviceId: b.id, ownerId: OWNER, leaseMs: 10_000, now: t(1) })).toBeNull();
    expect(await leaseNextJob(db, { deviceId: c.id, ownerId: OWNER, leaseMs: 10_000, now: t(1) })).not.toBeNull();
    await releaseJob(db, { jobId: ja!.id, attempt: 1, reason: 'agent shutting down', charge: false, now: t(2) });
    expect(await leaseNextJob(db, { deviceId: b.id, ownerId: OWNER, leaseMs: 10_000, now: t(3) })).not.toBeNull();
  });

  it('extends only the current lease of the right device', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const other = await seedDevice(db);
    await seedSweep(db, device.id, 1, { startAt: t(0) });
    const job = (await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 10_000, now: t(1) }))!;
    const extended = await extendLease(db, { jobId: job.id, attempt: 1, deviceId: device.id, ownerId: 'coord-b', leaseMs: 60_000, now: t(5) });
    expect(extended?.leaseExpiresAt?.getTime()).toBe(t(65).getTime());
    expect(extended?.leaseOwner).toBe('coord-b');
    expect(await extendLease(db, { jobId: job.id, attempt: 2, ownerId: OWNER, leaseMs: 1000 })).toBeNull();
    expect(await extendLease(db, { jobId: job.id, attempt: 1, deviceId: other.id, ownerId: OWNER, leaseMs: 1000 })).toBeNull();
    await expect(extendLease(db, { jobId: job.id, attempt: 1, ownerId: OWNER, leaseMs: 0 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('re-queues expired leases and fails the job with its reason after max attempts', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const { sweep } = await seedSweep(db, device.id, 1, { startAt: t(0), maxAttempts: 2 });
    const first = (await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 10_000, now: t(1) }))!;
    expect(await expireLeases(db, { now: t(10) })).toHaveLength(0);
    const expired = await expireLeases(db, { now: t(11) });
    expect(expired.map((e) => e.outcome)).toEqual(['queued']);
    expect(expired[0].job.failures).toBe(1);
    expect(expired[0].job.lastError).toMatch(/lease expired/);
    const second = (await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 10_000, now: t(12) }))!;
    expect(second.id).toBe(first.id);
    expect(second.attempt).toBe(2);
    const last = await expireLeases(db, { now: t(30) });
    expect(last.map((e) => e.outcome)).toEqual(['failed']);
    expect(last[0].job.lastError).toMatch(/lease expired before a result arrived \(attempt 2 of at most 2\)/);
    expect(await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 10_000, now: t(31) })).toBeNull();
    const view = await getSweep(db, sweep.id);
    expect(view?.status).toBe('done');
    expect(view?.remaining).toBe(0);
    expect(view?.finishedAt).not.toBeNull();
    expect(view?.progress).toMatchObject({ failed: 1, total: 1 });
  });

  it('releases: charged by default, free for a clean shutdown, only for the lease holder', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const other = await seedDevice(db);
    await seedSweep(db, device.id, 1, { startAt: t(0), maxAttempts: 1 });
    const job = (await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 10_000, now: t(1) }))!;
    expect(await releaseJob(db, { jobId: job.id, attempt: 1, deviceId: other.id, reason: 'x' })).toBeNull();
    expect(await releaseJob(db, { jobId: job.id, attempt: 9, reason: 'x' })).toBeNull();
    const free = await releaseJob(db, { jobId: job.id, attempt: 1, deviceId: device.id, reason: 'agent stopping', charge: false, now: t(2) });
    expect(free?.outcome).toBe('queued');
    expect(free?.job.failures).toBe(0);
    const again = (await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 10_000, now: t(3) }))!;
    const charged = await releaseJob(db, { jobId: again.id, attempt: 2, reason: 'agent disconnected', now: t(4) });
    expect(charged?.outcome).toBe('failed');
    expect(charged?.job.lastError).toMatch(/agent disconnected/);
  });

  it('charges even clean releases once a job reaches the lease cap (bounded loops)', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    await seedSweep(db, device.id, 1, { startAt: t(0), maxAttempts: 1 });
    let outcome = 'queued';
    let leases = 0;
    while (outcome === 'queued' && leases < LEASE_CAP + 5) {
      const job = (await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 10_000, now: t(1) }))!;
      leases += 1;
      outcome = (await releaseJob(db, { jobId: job.id, attempt: job.attempt, reason: 'stopping', charge: false, now: t(1) }))!.outcome;
    }
    expect(outcome).toBe('failed');
    expect(leases).toBe(LEASE_CAP);
  });

  it('records the artifact for every job of the same subnet in the sweep', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const { subnets } = await seedSweep(db, device.id, 1, { startAt: t(0) });
    const job = (await leaseNextJob(db, { deviceId: device.id, ownerId: OWNER, leaseMs: 10_000, now: t(1) }))!;
    const { artifact } = await putArtifact(db, { bytes: new Uint8Array([1, 2, 3]), kind: 'subnet', space: subnets[0].space, subnetId: subnets[0].id, weights: 'seed:0' });
    const updated = await setJobArtifact(db, job.id, artifact.sha256);
    expect(updated.artifactSha256).toBe(artifact.sha256);
    await expect(setJobArtifact(db, job.id, 'f'.repeat(64))).rejects.toBeInstanceOf(ValidationError);
    expect((await getJob(db, job.id))?.artifactSha256).toBe(artifact.sha256);
  });
});


it('parses job ids from the protocol', () => {
  expect(parseJobId('42')).toBe(42);
  for (const bad of ['0', '-1', '1.5', 'abc', '', '99999999999999999']) expect(() => parseJobId(bad)).toThrow(ValidationError);
});
