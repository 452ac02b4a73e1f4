/**
 * Security: the admin token guards every mutating route (enumerated from the app), tokens are
 * random and stored only as hashes, a connection that does not authenticate is dropped within
 * seconds, failed authentication is rate limited per address (WebSocket and HTTP alike), and no
 * secret ever reaches the coordinator's log.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { generateToken, hashToken } from '../../db/secrets';
import { sameSecret } from '../../server/http/auth';
import { describeEachDb } from '../helpers/databases';
import { TestFarm } from '../server/support/test-farm';
import { snapshotDb, snapshotDiff } from './support/db-snapshot';
import { appRoutes, fillPath, isMutating } from './support/routes';

it('makes tokens of 256 random bits with a kind prefix, and compares secrets of any length safely', () => {
  const tokens = Array.from({ length: 2000 }, () => generateToken('device'));
  expect(new Set(tokens).size).toBe(tokens.length);
  for (const t of tokens.slice(0, 50)) expect(t).toMatch(/^ofad_[A-Za-z0-9_-]{43}$/);
  expect(generateToken('enroll')).toMatch(/^ofae_[A-Za-z0-9_-]{43}$/);
  // every base64url character shows up at every position: no fixed or biased bytes
  const body = tokens.map((t) => t.slice(5));
  for (const pos of [0, 21, 41]) expect(new Set(body.map((b) => b[pos])).size).toBeGreaterThan(55);
  expect(hashToken(tokens[0])).toMatch(/^[0-9a-f]{64}$/);
  expect(sameSecret('abc', 'abc')).toBe(true);
  expect(sameSecret('abc', 'abcd')).toBe(false);
  expect(sameSecret('', 'x'.repeat(10_000))).toBe(false);
});

describeEachDb('security at the coordinator', (getDb) => {
  let farm: TestFarm;
  beforeEach(async () => {
    farm = await TestFarm.start(getDb(), { helloTimeoutMs: 1000 });
  });
  afterEach(async () => {
    await farm.stop();
  });

  it('refuses every mutating route without the admin token (none, a device token, an enrollment token, a wrong one) and changes nothing', async () => {
    const deviceToken = await farm.addDevice('d1');
    await farm.startSweep({ device: 'd1', count: 2, startAt: Date.now() + 3600_000 });
    const enrollToken = (await farm.api('POST', '/api/enrollment-tokens', { maxUses: 5 })).body.token as string;
    const before = await snapshotDb(getDb().db);
    const routes = appRoutes().filter(isMutating);
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const route of routes) {
      const path = fillPath(route.path, { name: 'd1', id: '1', run: '1' });
      const body = { name: 'intruder', kind: 'edge', space: 'ofa-mbv3-mini', device: 'd1', count: 1 };
      const enroll = route.path === '/api/enroll';
      for (const token of enroll ? [null, deviceToken, farm.coordinator.adminToken] : [null, deviceToken, enrollToken]) {
        const res = await farm.api(route.method, path, body, token);
        expect(res.status, `${route.method} ${route.path} with ${token === null ? 'no token' : token.slice(0, 5)}`).toBe(401);
        expect(res.body.error).toMatchObject({ name: 'AuthError', message: expect.stringMatching(enroll ? /enrollment token|not valid/ : /admin token/) });
      }
    }
    expect(snapshotDiff(before, await snapshotDb(getDb().db))).toEqual([]);
    expect(JSON.stringify(farm.logs)).not.toContain(deviceToken);
  });

  it('stores device and enrollment tokens only as hashes and shows them once', async () => {
    const added = await farm.api('POST', '/api/devices', { name: 'd1', kind: 'edge' });
    const rotated = await farm.api('POST', '/api/devices/d1/token');
    const enroll = await farm.api('POST', '/api/enrollment-tokens', { label: 'rack', maxUses: 2 });
    const enrolled = await farm.api('POST', '/api/enroll', { name: 'p1', kind: 'android' }, enroll.body.token);
    const secrets = [added.body.token, rotated.body.token, enroll.body.token, enrolled.body.token, farm.coordinator.adminToken] as string[];
    expect(new Set(secrets).size).toBe(5);
    const agent = farm.agent({ token: rotated.body.token });
    await agent.until(() => agent.of('welcome').length === 1, 'welcome');

    const stored = JSON.stringify(await snapshotDb(getDb().db));
    for (const secret of secrets) expect(stored).not.toContain(secret);
    expect(stored).toContain(hashToken(rotated.body.token));
    expect(stored).toContain(hashToken(enroll.body.token));
    expect(stored).not.toContain(hashToken(added.body.token)); // replaced by the rotation
    for (const path of ['/api/devices', '/api/devices/d1', '/api/devices/p1', '/api/dashboard/overview', '/api/dashboard/devices/d1', '/api/health']) {
      const shown = JSON.stringify((await farm.api('GET', path, undefined, null)).body);
      for (const secret of secrets) expect(shown, path).not.toContain(secret);
      for (const secret of secrets) expect(shown, path).not.toContain(hashToken(secret));
    }
    const log = farm.logs.join('\n');
    for (const secret of secrets) expect(log).not.toContain(secret);
  });

  it('drops a connection that does not authenticate within seconds, at every stage', async () => {
    const port = farm.coordinator.port;
    const closedAfter = (send: string) =>
      new Promise<number>((resolve, reject) => {
        const started = Date.now();
        const socket = connect(port, '127.0.0.1', () => socket.write(send));
        socket.on('error', () => {});
        socket.resume(); // read what the server sends, or its close is never seen
        socket.on('close', () => resolve(Date.now() - started));
        setTimeout(() => reject(new Error(`a connection sending ${JSON.stringify(send.slice(0, 40))} is still open after 15 s`)), 15_000).unref();
      });
    // nothing at all; half a request; a complete upgrade and then no hello (hello timeout: 1 s)
    const upgrade = 'GET /agent/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    const times = await Promise.all([closedAfter(''), closedAfter('GET /agent/ws HTTP/1.1\r\nHost: x\r\n'), closedAfter(upgrade)]);
    for (const ms of times) expect(ms).toBeLessThan(8000);
    // an authenticated agent stays connected well past those deadlines
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token });
    await agent.until(() => agent.of('welcome').length === 1, 'welcome');
    await new Promise((r) => setTimeout(r, 3500));
    expect(agent.closeCode).toBeNull();
  });

  it('rate limits failed authentication per address, over the WebSocket and HTTP alike', async () => {
    const token = await farm.addDevice('d1');
    const guesses: string[] = [];
    for (let i = 0; i < 30; i++) {
      const guess = `ofad_guess-${i}-${'x'.repeat(30)}`;
      guesses.push(guess);
      const agent = farm.agent({ token: guess });
      expect(await agent.closed).toBe(4001);
      expect(agent.of('error')[0].code).toBe('auth_failed');
    }
    // now even the right token is refused from this address, with the time to wait
    const refused = farm.agent({ token });
    expect(await refused.closed).toBe(4001);
    expect(refused.of('error')[0]).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/retry in \d+ s/) });
    const admin = await farm.api('POST', '/api/devices', { name: 'd2', kind: 'edge' });
    expect(admin.status).toBe(429);
    expect(admin.body.error).toMatchObject({ name: 'RateLimitError', message: expect.stringMatching(/retry in \d+ s/) });
    const model = await fetch(`${farm.url}/artifacts/${'a'.repeat(64)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(model.status).toBe(429);
    // reads stay open; nothing was registered
    expect((await farm.api('GET', '/api/devices', undefined, null)).body.devices.map((d: { name: string }) => d.name)).toEqual(['d1']);
    const log = farm.logs.join('\n');
    for (const secret of [token, farm.coordinator.adminToken, ...guesses]) expect(log).not.toContain(secret);
    expect(log).toContain('refused');
  });
});
