import { beforeEach, expect, it } from 'vitest';
import { AuthError, ConflictError, NotFoundError, ValidationError } from '../../core/errors';
import {
  findDeviceByTokenHash,
  getDeviceByName,
  listDevices,
  markDeviceConnected,
  markDeviceOffline,
  reapDevices,
  registerDevice,
  removeDevice,
  requireDeviceByName,
  touchDevice,
} from '../../db/queries/devices';
import { createEnrollmentToken, listEnrollmentTokens, registerDeviceWithEnrollment, revokeEnrollmentToken } from '../../db/queries/enrollment';
import { listMeasurements } from '../../db/queries/measurements';
import { getJob, leaseNextJob } from '../../db/queries/queue';
import { recordResult } from '../../db/queries/results';
import { getSweep } from '../../db/queries/sweeps';
import { generateToken, hashToken } from '../../db/secrets';
import { describeEachDb } from '../helpers/databases';
import { okMeasurement, seedDevice, seedSweep } from '../helpers/db-fixtures';

const t = (s: number) => new Date(Date.UTC(2034, 0, 1, 0, 0, s));
const description = { model: null, cpu: 'cpu', cores: 2, memoryBytes: null, os: 'linux', runtime: 'onnxruntime-node', runtimeVersion: '1.23.2', executionProviders: ['cpu'], threads: 2, specs: {} };

describeEachDb('devices', (getDb) => {
  beforeEach(() => getDb().reset());

  it('registers with a token hash only and authenticates by it', async () => {
    const { db } = getDb();
    const token = generateToken('device');
    expect(token).toMatch(/^ofad_[A-Za-z0-9_-]{43}$/);
    const device = await registerDevice(db, { name: 'pi-4', kind: 'edge', host: 'rack-1', tokenHash: hashToken(token) });
    expect(device).toMatchObject({ name: 'pi-4', kind: 'edge', host: 'rack-1', hostKey: 'rack-1', status: 'offline' });
    expect(JSON.stringify(device)).not.toContain(token);
    expect((await findDeviceByTokenHash(db, hashToken(token)))?.id).toBe(device.id);
    expect(await findDeviceByTokenHash(db, hashToken(`${token}x`))).toBeNull();
    expect(await findDeviceByTokenHash(db, 'not a hash')).toBeNull();
    await expect(registerDevice(db, { name: 'pi-4', kind: 'edge', tokenHash: hashToken('other') })).rejects.toThrow(ConflictError);
    await expect(registerDevice(db, { name: 'bad name!', kind: 'edge', tokenHash: hashToken('a') })).rejects.toThrow(/device name "bad name!" is invalid/);
    await expect(registerDevice(db, { name: 'ok', kind: 'fridge' as 'edge', tokenHash: hashToken('a') })).rejects.toThrow(/kind "fridge"/);
    await expect(registerDevice(db, { name: 'ok', kind: 'edge', tokenHash: 'abc' })).rejects.toThrow(ValidationError);
    expect(await listDevices(db)).toHaveLength(1);
  });

  it('tracks hello, heartbeats and going offline; the registry host wins over the reported one', async () => {
    const { db } = getDb();
    const device = await seedDevice(db, { host: 'rack-1' });
    const online = await markDeviceConnected(db, device.id, { description, agentVersion: '0.1.0', reportedHost: 'agent-says', now: t(1) });
    expect(online).toMatchObject({ status: 'online', hostKey: 'rack-1', reportedHost: 'agent-says', agentVersion: '0.1.0' });
    expect(online.statusSince.getTime()).toBe(t(1).getTime());
    const busy = await touchDevice(db, device.id, { status: 'busy', now: t(2) });
    expect(busy).toMatchObject({ status: 'busy' });
    expect(busy!.statusSince.getTime()).toBe(t(2).getTime());
    const still = await touchDevice(db, device.id, { status: 'busy', now: t(3) });
    expect(still!.statusSince.getTime()).toBe(t(2).getTime());
    expect(still!.lastSeenAt!.getTime()).toBe(t(3).getTime());
    await markDeviceOffline(db, device.id, { now: t(4) });
    expect((await requireDeviceByName(db, device.name)).status).toBe('offline');
    await expect(requireDeviceByName(db, 'nobody')).rejects.toThrow(NotFoundError);
  });

  it('the reaper marks silent devices offline and returns their jobs to the queue', async () => {
    const { db } = getDb();
    const silent = await seedDevice(db);
    const alive = await seedDevice(db);
    await seedSweep(db, silent.id, 1, { startAt: t(0) });
    await markDeviceConnected(db, silent.id, { description, agentVersion: '1', now: t(1) });
    await markDeviceConnected(db, alive.id, { description, agentVersion: '1', now: t(1) });
    const job = (await leaseNextJob(db, { deviceId: silent.id, ownerId: 'c', leaseMs: 600_000, now: t(2) }))!;
    await touchDevice(db, alive.id, { now: t(50) });
    const reaped = await reapDevices(db, { staleBefore: t(30), now: t(60) });
    expect(reaped.map((r) => r.device.id)).toEqual([silent.id]);
    expect(reaped[0].device.status).toBe('offline');
    expect(reaped[0].released.map((r) => r.outcome)).toEqual(['queued']);
    expect((await getJob(db, job.id))?.status).toBe('queued');
    expect(await reapDevices(db, { staleBefore: t(30), now: t(61) })).toHaveLength(0);
  });

  it('removal keeps measurements, cancels open work, frees the name and kills the token', async () => {
    const { db } = getDb();
    const device = await seedDevice(db, { name: 'phone' });
    const { sweep } = await seedSweep(db, device.id, 3, { startAt: t(0) });
    const job = (await leaseNextJob(db, { deviceId: device.id, ownerId: 'c', leaseMs: 10_000, now: t(1) }))!;
    await recordResult(db, { jobId: job.id, attempt: 1, deviceId: device.id, measurement: okMeasurement() });
    await leaseNextJob(db, { deviceId: device.id, ownerId: 'c', leaseMs: 10_000, now: t(2) });
    const removed = await removeDevice(db, device.id, { now: t(3) });
    expect(removed).toMatchObject({ cancelledJobs: 2, cancelledSweeps: 1 });
    expect(await getSweep(db, sweep.id)).toMatchObject({ status: 'cancelled', remaining: 0, progress: { done: 1, cancelled: 2 } });
    expect(await findDeviceByTokenHash(db, hashToken(device.token))).toBeNull();
    expect(await getDeviceByName(db, 'phone')).toBeNull();
    expect(await listMeasurements(db, { deviceId: device.id })).toHaveLength(1);
    expect(await listDevices(db)).toHaveLength(0);
    expect(await listDevices(db, { includeRemoved: true })).toHaveLength(1);
    expect(await leaseNextJob(db, { deviceId: device.id, ownerId: 'c', leaseMs: 10_000 })).toBeNull();
    const again = await seedDevice(db, { name: 'phone' });
    expect(again.id).not.toBe(device.id);
    await expect(removeDevice(db, device.id)).rejects.toThrow(NotFoundError);
  });

  it('enrollment tokens register devices within their limits, and only when the device is valid', async () => {
    const { db } = getDb();
    const secret = generateToken('enroll');
    const token = await createEnrollmentToken(db, { tokenHash: hashToken(secret), label: 'lab', maxUses: 2, expiresAt: t(100) });
    const dev = (name: string) => ({ name, kind: 'android' as const, tokenHash: hashToken(generateToken('device')) });
    const a = await registerDeviceWithEnrollment(db, hashToken(secret), dev('a'), t(1));
    expect(a.enrolledWith).toBe(token.id);
    await expect(registerDeviceWithEnrollment(db, hashToken(secret), dev('a'), t(2))).rejects.toThrow(ConflictError);
    // The failed registration did not use up the token.
    await registerDeviceWithEnrollment(db, hashToken(secret), dev('b'), t(3));
    await expect(registerDeviceWithEnrollment(db, hashToken(secret), dev('c'), t(4))).rejects.toThrow(AuthError);
    const other = generateToken('enroll');
    const o = await createEnrollmentToken(db, { tokenHash: hashToken(other), expiresAt: t(10) });
    await expect(registerDeviceWithEnrollment(db, hashToken(other), dev('d'), t(11))).rejects.toThrow(/expired/);
    await revokeEnrollmentToken(db, o.id);
    await expect(registerDeviceWithEnrollment(db, hashToken(other), dev('d'), t(5))).rejects.toThrow(AuthError);
    await expect(createEnrollmentToken(db, { tokenHash: hashToken('x'), maxUses: 0 })).rejects.toThrow(ValidationError);
    expect((await listEnrollmentTokens(db)).map((r) => r.uses)).toEqual([2, 0]);
    expect((await listDevices(db)).map((d) => d.name)).toEqual(['a', 'b']);
  });
});
