import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { ADMIN, TestFarm } from './support/test-farm';

describeEachDb('coordinator HTTP API', (getDb) => {
  let farm: TestFarm;
  beforeEach(async () => {
    farm = await TestFarm.start(getDb());
  });
  afterEach(async () => {
    await farm.stop();
  });

  it('answers health without a token and names the protocol version', async () => {
    const res = await farm.api('GET', '/api/health', undefined, null);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, protocolVersion: 1, instanceId: farm.coordinator.instanceId, agentsConnected: 0 });
  });

  it('refuses every mutating call without the right admin token, and changes nothing', async () => {
    const calls: Array<[string, string, unknown]> = [
      ['POST', '/api/devices', { name: 'x', kind: 'edge' }],
      ['DELETE', '/api/devices/x', undefined],
      ['POST', '/api/sweeps', { device: 'x', space: 'ofa-mbv3-mini', count: 1 }],
      ['POST', '/api/sweeps/1/cancel', {}],
      ['POST', '/api/enrollment-tokens', {}],
    ];
    for (const [method, path, body] of calls) {
      const missing = await farm.api(method, path, body, null);
      expect(missing.status, `${method} ${path} without token`).toBe(401);
      expect(missing.body.error.name).toBe('AuthError');
      expect(missing.body.error.message).toContain('admin token');
      const wrong = await farm.api(method, path, body, 'not-the-admin-token-at-all');
      expect(wrong.status, `${method} ${path} with a wrong token`).toBe(401);
    }
    expect((await farm.api('GET', '/api/devices', undefined, null)).body.devices).toEqual([]);
  });

  it('registers a device, shows its token once and never its hash', async () => {
    const added = await farm.api('POST', '/api/devices', { name: 'pixel-7', kind: 'android', host: 'rack-1' });
    expect(added.status).toBe(201);
    expect(added.body.token).toMatch(/^ofad_[A-Za-z0-9_-]{43}$/);
    expect(added.body.device).toMatchObject({ name: 'pixel-7', kind: 'android', host: 'rack-1', status: 'offline', measurementCount: 0 });
    const listed = await farm.api('GET', '/api/devices', undefined, null);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(added.body.token);
    expect(text).not.toMatch(/tokenHash|token_hash/);
    expect(listed.body.devices.map((d: { name: string }) => d.name)).toEqual(['pixel-7']);
    const again = await farm.api('POST', '/api/devices', { name: 'pixel-7', kind: 'android' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('pixel-7');
  });

  it('rejects bad bodies and query strings with a 400 naming the field', async () => {
    const badKind = await farm.api('POST', '/api/devices', { name: 'a', kind: 'toaster' });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error).toMatchObject({ name: 'ValidationError' });
    expect(badKind.body.error.message).toContain('kind');
    const badName = await farm.api('POST', '/api/devices', { name: 'no spaces allowed', kind: 'edge' });
    expect(badName.status).toBe(400);
    expect(badName.body.error.message).toContain('device name');
    const notJson = await farm.api('POST', '/api/devices', '{not json');
    expect(notJson.status).toBe(400);
    await farm.addDevice('d1');
    const badSpace = await farm.api('POST', '/api/sweeps', { device: 'd1', space: 'resnet', count: 2 });
    expect(badSpace.status).toBe(400);
    expect(badSpace.body.error.message).toContain('space');
    const badCount = await farm.api('POST', '/api/sweeps', { device: 'd1', space: 'ofa-mbv3-mini', count: 0 });
    expect(badCount.status).toBe(400);
    expect(badCount.body.error.message).toContain('count');
    const badConfig = await farm.api('POST', '/api/sweeps', { device: 'd1', space: 'ofa-mbv3-mini', strategy: 'list', configs: [{ ks: [3], e: [3], d: [2], r: 16 }] });
    expect(badConfig.status).toBe(400);
    expect(badConfig.body.error.message).toContain('config 1');
    const badQuery = await farm.api('GET', '/api/measurements?device=d1&limit=abc', undefined, null);
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.message).toContain('limit');
    const noTarget = await farm.api('GET', '/api/measurements', undefined, null);
    expect(noTarget.status).toBe(400);
    const badId = await farm.api('GET', '/api/sweeps/abc', undefined, null);
    expect(badId.status).toBe(400);
    expect((await farm.api('GET', '/api/sweeps', undefined, null)).body.sweeps).toEqual([]);
  });

  it('answers 404 for unknown routes, devices and sweeps', async () => {
    expect((await farm.api('GET', '/api/nothing-here', undefined, null)).status).toBe(404);
    const device = await farm.api('GET', '/api/devices/ghost', undefined, null);
    expect(device.status).toBe(404);
    expect(device.body.error.message).toContain('ghost');
    expect((await farm.api('GET', '/api/sweeps/999', undefined, null)).status).toBe(404);
    expect((await farm.api('POST', '/api/sweeps', { device: 'ghost', space: 'ofa-mbv3-mini', count: 1 })).status).toBe(404);
  });

  it('creates a sweep with anchors, lists it with its schedule, cancels it', async () => {
    await farm.addDevice('d1');
    const startAt = Date.now() + 3600_000;
    const sweep = await farm.startSweep({ device: 'd1', count: 5, anchorEvery: 2, startAt, everyMs: 24 * 3600_000, strategy: 'macs-stratified' });
    expect(sweep.state).toBe('scheduled');
    expect(sweep.count).toBe(5);
    // anchor first, after every 2 subnets, and last: A s s A s s A s A
    expect(sweep.progress.total).toBe(9);
    expect(sweep.params.anchorSubnetId).toMatch(/^[0-9a-f]{16}$/);
    expect(sweep.repeatEveryMs).toBe(24 * 3600_000);
    const list = await farm.api('GET', '/api/sweeps', undefined, null);
    expect(list.body.sweeps[0]).toMatchObject({ id: sweep.id, state: 'scheduled', deviceName: 'd1', repeatEveryMs: 24 * 3600_000 });
    const cancelled = await farm.api('POST', `/api/sweeps/${sweep.id}/cancel`, { reason: 'test' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.sweep).toMatchObject({ state: 'cancelled', cancelledJobs: 9 });
    const again = await farm.api('POST', `/api/sweeps/${sweep.id}/cancel`, {});
    expect(again.status).toBe(200);
  });

  it('plans the same subnets for the same seed', async () => {
    await farm.addDevice('d1');
    const a = await farm.startSweep({ device: 'd1', count: 6, seed: 7, startAt: Date.now() + 3600_000 });
    const b = await farm.startSweep({ device: 'd1', count: 6, seed: 7, startAt: Date.now() + 3600_000 });
    expect(a.seed).toBe(7);
    const jobsOf = async (id: number) => (await getDb().handle.db.query.jobs.findMany({ where: (j, { eq }) => eq(j.sweepId, id), orderBy: (j, { asc }) => asc(j.position) })).map((j) => j.subnetId);
    expect(await jobsOf(a.id)).toEqual(await jobsOf(b.id));
  });

  it('removes a device: its sweeps are cancelled and its token stops working', async () => {
    const token = await farm.addDevice('d1');
    const sweep = await farm.startSweep({ device: 'd1', count: 2 });
    const removed = await farm.api('DELETE', '/api/devices/d1');
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ cancelledSweeps: 1, cancelledJobs: 2 });
    expect((await farm.sweep(sweep.id)).state).toBe('cancelled');
    const agent = farm.agent({ token });
    await agent.until(() => agent.closeCode !== null, 'the removed device to be refused');
    expect(agent.closeCode).toBe(4001);
    expect(agent.of('error')[0]).toMatchObject({ code: 'auth_failed' });
  });

  it('issues enrollment tokens that can only register devices', async () => {
    const created = await farm.api('POST', '/api/enrollment-tokens', { label: 'rack', maxUses: 1 });
    expect(created.status).toBe(201);
    const enrollToken = created.body.token as string;
    const enrolled = await farm.api('POST', '/api/enroll', { name: 'phone-1', kind: 'android' }, enrollToken);
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.token).toMatch(/^ofad_/);
    const usedUp = await farm.api('POST', '/api/enroll', { name: 'phone-2', kind: 'android' }, enrollToken);
    expect(usedUp.status).toBe(401);
    // an enrollment token is not an admin token
    expect((await farm.api('POST', '/api/devices', { name: 'x', kind: 'edge' }, enrollToken)).status).toBe(401);
    expect(ADMIN).not.toBe(enrollToken);
  });

  it('replaces a device token: the old one stops working, the new one works', async () => {
    const old = await farm.addDevice('d1');
    const rotated = await farm.api('POST', '/api/devices/d1/token');
    expect(rotated.status).toBe(201);
    expect(rotated.body.token).not.toBe(old);
    const refused = farm.agent({ token: old });
    expect(await refused.closed).toBe(4001);
    const welcomed = farm.agent({ token: rotated.body.token });
    await welcomed.until(() => welcomed.of('welcome').length === 1, 'welcome');
    expect((await farm.api('POST', '/api/devices/d1/token', undefined, null)).status).toBe(401);
  });
});
