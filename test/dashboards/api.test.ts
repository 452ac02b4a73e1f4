/**
 * The dashboards' server side on PGlite and PostgreSQL: the pages and their assets come from the
 * project only; the read-only API returns what the pages plot, from data made through the farm's
 * own paths; bad input is named; the event stream says what changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { ADMIN } from '../server/support/test-farm';
import { seedFarm, SPACE, type Seeded } from './helpers/seeded-farm';
import { readEvents } from './helpers/sse';

describeEachDb('dashboards API', (getDb) => {
  let seeded: Seeded;
  const get = (path: string) => seeded.farm.api('GET', path, undefined, null);

  beforeAll(async () => {
    seeded = await seedFarm(getDb());
  }, 180_000);
  afterAll(async () => {
    await seeded?.farm.stop();
  });

  describe('pages and assets', () => {
    it('sends / to the dashboards and serves one page shell that loads only local assets', async () => {
      const root = await fetch(`${seeded.farm.url}/`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/dashboard/');
      for (const path of ['/dashboard/', '/dashboard/sweeps', '/dashboard/devices/alpha', '/dashboard/subnets/0123456789abcdef']) {
        const res = await fetch(`${seeded.farm.url}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/text\/html/);
        const html = await res.text();
        expect(html).toContain('<script type="module" src="/dashboard/assets/app.js">');
        expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      }
    });

    it('bundles the pages with esbuild once, with an etag, and serves the style sheet', async () => {
      const js = await fetch(`${seeded.farm.url}/dashboard/assets/app.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      const body = await js.text();
      expect(body.length).toBeGreaterThan(50_000);
      expect(body).toContain('/api/dashboard/events');
      expect(body).not.toMatch(/\bimport\s*\(?\s*["'](https?:)?\/\//);
      const again = await fetch(`${seeded.farm.url}/dashboard/assets/app.js`, { headers: { 'if-none-match': js.headers.get('etag')! } });
      expect(again.status).toBe(304);
      const css = await fetch(`${seeded.farm.url}/dashboard/assets/app.css`);
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toMatch(/text\/css/);
      expect(await css.text()).toContain('.progress');
      expect((await fetch(`${seeded.farm.url}/dashboard/assets/missing.js`)).status).toBe(404);
    });
  });

  describe('read-only API', () => {
    it('overview: every device with status, specs, counts per space and its active twin', async () => {
      const { status, body } = await get('/api/dashboard/overview');
      expect(status).toBe(200);
      expect(body.devices.map((d: { name: string }) => d.name)).toEqual(['alpha', 'beta']);
      const alpha = body.devices[0];
      expect(alpha).toMatchObject({ kind: 'edge', host: 'host-alpha', status: expect.stringMatching(/online|busy/), description: { cpu: 'test cpu' } });
      expect(alpha).not.toHaveProperty('tokenHash');
      // 24 subnets + 4 anchors; one job failed twice (2 failed rows), one failed once then succeeded.
      expect(alpha.measurementCount).toBe(27);
      expect(alpha.failedCount).toBe(3);
      expect(alpha.spaces).toEqual([{ space: SPACE, count: 30, lastAt: expect.any(String) }]);
      expect(alpha.activeTwins).toHaveLength(1);
      const twin = alpha.activeTwins[0];
      expect(twin).toMatchObject({ space: SPACE, basis: 'held-out', heldOut: expect.any(Number) });
      expect(twin.heldOut).toBeGreaterThanOrEqual(4);
      // The fake latency is linear in MACs with 1% wobble: the best family predicts it closely.
      expect(twin.within10).toBeGreaterThanOrEqual(0.75);
    });

    it('device detail: newest measurements first, the anchor series oldest first', async () => {
      const { status, body } = await get('/api/dashboard/devices/alpha');
      expect(status).toBe(200);
      expect(body.device.name).toBe('alpha');
      const ids = body.recent.map((m: { id: number }) => m.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(body.recent.some((m: { status: string; error: string }) => m.status === 'failed' && m.error === 'test failure')).toBe(true);
      expect(body.recent.find((m: { status: string }) => m.status === 'ok')).toMatchObject({ r: expect.any(Number), macs: expect.any(Number), executionProvider: 'none', threads: 1 });
      expect(body.anchors).toHaveLength(4);
      const times = body.anchors.map((a: { at: string }) => Date.parse(a.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(new Set(body.anchors.map((a: { subnetId: string }) => a.subnetId)).size).toBe(1);
    });

    it('sweeps: progress, throughput, and failed or retried jobs with their reasons', async () => {
      const { body } = await get('/api/dashboard/sweeps');
      const alpha = body.sweeps.find((s: { id: number }) => s.id === seeded.sweeps.alpha);
      expect(alpha).toMatchObject({ deviceName: 'alpha', state: 'done', progress: { total: 28, done: 27, failed: 1, queued: 0, leased: 0 } });
      expect(alpha.measured).toBe(27);
      expect(alpha.failedMeasurements).toBe(3);
      expect(alpha.throughputPerMin).toBeGreaterThan(0);
      expect(alpha.etaS).toBeNull();
      const byJob = Object.fromEntries(alpha.failures.map((f: { jobId: number }) => [f.jobId, f]));
      expect(byJob[2]).toMatchObject({ final: true, status: 'failed', failures: 2, error: expect.stringContaining('test failure') });
      expect(byJob[3]).toMatchObject({ final: false, status: 'done', failures: 1, error: expect.stringContaining('test failure') });
      const limited = await get('/api/dashboard/sweeps?limit=1&device=beta');
      expect(limited.body.sweeps.map((s: { id: number }) => s.id)).toEqual([seeded.sweeps.beta]);
    });

    it('fronts: the newest front of each device for a space, chosen points and the non-dominated set', async () => {
      const { body } = await get(`/api/dashboard/fronts?space=${SPACE}&objective=macs`);
      expect(body.fronts.map((f: { device: { name: string } }) => f.device.name)).toEqual(['alpha', 'beta']);
      const alpha = body.fronts[0].front;
      expect(alpha.runId).toBe(seeded.fronts.alpha);
      expect(alpha.objective).toMatchObject({ name: 'macs', proxy: true });
      expect(alpha.points).toHaveLength(4);
      expect(alpha.points.every((p: { chosen: boolean; predictedLatencyMs: number; budgetMs: number }) => p.chosen && p.predictedLatencyMs <= p.budgetMs * 1.0001)).toBe(true);
      expect(alpha.nonDominated.length).toBeGreaterThan(0);
      expect(body.fronts[0].nonDominatedTotal).toBeGreaterThanOrEqual(alpha.nonDominated.length);
      expect(alpha.nonDominated.length).toBeLessThanOrEqual(400);
      expect(body.choices).toEqual([
        { space: SPACE, objective: 'accuracy', runs: 1 },
        { space: SPACE, objective: 'macs', runs: 2 },
      ]);
      const accuracy = (await get(`/api/dashboard/fronts?space=${SPACE}&objective=accuracy`)).body.fronts;
      expect(accuracy.map((f: { device: { name: string } }) => f.device.name)).toEqual(['alpha']);
      const front = accuracy[0].front;
      expect(front).toMatchObject({ runId: seeded.fronts.alphaAccuracy, objective: { name: 'accuracy', proxy: false }, predictor: { version: 1, label: expect.stringContaining('synthetic-dashboards-test') } });
      expect(front.points.every((p: { predictedAccuracy: number }) => p.predictedAccuracy > 0 && p.predictedAccuracy < 1)).toBe(true);
      // Without an objective, the newest front of any objective per device.
      const newest = (await get(`/api/dashboard/fronts?space=${SPACE}`)).body.fronts;
      expect(newest.map((f: { front: { runId: number } }) => f.front.runId)).toEqual([seeded.fronts.alphaAccuracy, seeded.fronts.beta]);
      expect((await get('/api/dashboard/fronts?space=ofa-mbv3-w1.0')).body.fronts).toEqual([]);
    });

    it('twins: every family of the newest version, with held-out points and a learning curve', async () => {
      const { body } = await get(`/api/dashboard/twins?device=alpha&space=${SPACE}`);
      expect(body.version).toBe(body.versions[0]);
      expect(body.families.length).toBeGreaterThanOrEqual(2);
      expect(body.families.filter((f: { active: boolean }) => f.active)).toHaveLength(1);
      for (const family of body.families) {
        expect(family.points.length, family.family).toBe(family.heldOut);
        expect(family.points[0]).toEqual({ id: expect.stringMatching(/^[0-9a-f]{16}$/), measured: expect.any(Number), predicted: expect.any(Number) });
        expect(family.curve.map((p: { n: number }) => p.n)).toEqual([10, 20]);
      }
      const old = await get(`/api/dashboard/twins?device=alpha&space=${SPACE}&version=${body.versions[body.versions.length - 1]}`);
      expect(old.status).toBe(200);
      const missing = await get(`/api/dashboard/twins?device=alpha&space=${SPACE}&version=999`);
      expect(missing.status).toBe(404);
      expect(missing.body.error.message).toMatch(/no twin version 999/);
      const empty = await get('/api/dashboard/twins?device=alpha&space=ofa-mbv3-w1.0');
      expect(empty.body).toMatchObject({ version: null, versions: [], families: [] });
    });

    it('subnets: recently measured ones, and one with its cost and its measurements on every device', async () => {
      const list = (await get(`/api/dashboard/subnets?space=${SPACE}&limit=100`)).body.subnets;
      expect(list.length).toBe(1 + 24 + 16);
      // The anchor: 4 measurements on alpha, 3 on beta.
      const anchor = list.find((s: { measurements: number }) => s.measurements === 7);
      expect(anchor).toBeDefined();
      const { body } = await get(`/api/dashboard/subnets/${anchor.id}`);
      expect(body.subnet).toMatchObject({ id: anchor.id, space: SPACE, r: expect.any(Number), macs: anchor.macs, config: { d: expect.any(Array) } });
      expect(body.devices.map((d: { device: string; n: number }) => [d.device, d.n])).toEqual([
        ['alpha', 4],
        ['beta', 3],
      ]);
      // beta is 2.5 times slower by construction.
      expect(body.devices[1].medianMs / body.devices[0].medianMs).toBeCloseTo(2.5, 1);
    });

    it('names bad input', async () => {
      const badSpace = await get('/api/dashboard/fronts?space=resnet');
      expect(badSpace.status).toBe(400);
      expect(badSpace.body.error.message).toMatch(/space/);
      const ghost = await get('/api/dashboard/devices/ghost');
      expect(ghost.status).toBe(404);
      expect(ghost.body.error.message).toBe('no device named "ghost"');
      const noDevice = await get(`/api/dashboard/twins?space=${SPACE}`);
      expect(noDevice.status).toBe(400);
      expect(noDevice.body.error.message).toMatch(/device/);
      expect((await get('/api/dashboard/subnets/0000000000000000')).status).toBe(404);
      expect((await get('/api/dashboard/sweeps?limit=0')).status).toBe(400);
    });
  });

  describe('event stream', () => {
    it('says hello, then names what changed: a new device, a new sweep and its results', async () => {
      const events = await readEvents(`${seeded.farm.url}/api/dashboard/events`);
      try {
        const hello = await events.next('hello');
        expect(JSON.parse(hello.data)).toMatchObject({ instanceId: seeded.farm.coordinator.instanceId, intervalMs: expect.any(Number) });
        // Let the feed take its first fingerprint before changing anything.
        await new Promise((r) => setTimeout(r, 1500));
        const token = await seeded.farm.addDevice('gamma', 'edge', 'host-gamma');
        const added = await events.nextChange((topics) => topics.includes('devices'));
        expect(added.topics).toContain('devices');
        seeded.farm.agent({ token, host: 'host-gamma' });
        await seeded.farm.startSweep({ device: 'gamma', count: 3, anchorEvery: 0 });
        const measured = await events.nextChange((topics) => topics.includes('measurements'));
        expect(measured.topics).toContain('measurements');
      } finally {
        events.close();
      }
      expect((await seeded.farm.api('GET', '/api/health')).status).toBe(200);
    });

    it('needs no admin token to read, and the admin token still guards every change', async () => {
      const later = await seeded.farm.startSweep({ device: 'alpha', count: 2, startAt: Date.now() + 3600_000 });
      const cancel = await seeded.farm.api('POST', `/api/sweeps/${later.id}/cancel`, {}, 'wrong-token');
      expect(cancel.status).toBe(401);
      expect(cancel.body.error.message).toBe('the admin token is wrong');
      const ok = await seeded.farm.api('POST', `/api/sweeps/${later.id}/cancel`, {}, ADMIN);
      expect(ok.status).toBe(200);
      const { body } = await seeded.farm.api('GET', '/api/dashboard/sweeps?device=alpha', undefined, null);
      expect(body.sweeps[0]).toMatchObject({ id: later.id, state: 'cancelled', cancelReason: 'cancelled by the admin' });
    });

    // Last: it stops the farm.
    it('a page still listening does not hold up stopping the coordinator', async () => {
      const events = await readEvents(`${seeded.farm.url}/api/dashboard/events`);
      await events.next('hello');
      const stopped = await Promise.race([seeded.farm.coordinator.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
      expect(stopped).toBe('stopped');
      await expect(events.next('change', 5000)).rejects.toThrow(/ended|terminated|aborted|socket/);
      events.close();
    });
  });
});
