import { Hono } from 'hono';
import { hc } from 'hono/client';
import { PassThrough, Readable } from 'node:stream';
import type { FarmClient } from '../../../cli/client';
import { printDeviceFronts } from '../../../cli/commands/pareto';
import { beforeEach, expect, it } from 'vitest';
import { subnetCost } from '../../../core/cost';
import { FarmError } from '../../../core/errors';
import { SPACES } from '../../../core/space';
import { searchRoutes } from '../../../server/search/routes';
import { describeEachDb } from '../../helpers/databases';
import { measuredDevice } from '../twins/measured-device';

const w10 = SPACES['ofa-mbv3-w1.0'];

describeEachDb('search routes', (getDb) => {
  beforeEach(() => getDb().reset());

  it('refits twins, answers fronts and names bad queries', async () => {
    const { db } = getDb();
    const { device } = await measuredDevice(db, 12, (s) => 0.4 + subnetCost(w10, s.config).macs / 50e6);
    const app = new Hono()
      .onError((error, c) => c.json({ error: { name: error.name, message: error.message } }, (error instanceof FarmError ? error.status : 500) as 400))
      .route('/api', searchRoutes({ db }));
    const refit = await app.request(`/api/devices/${device.name}/twins/refit`, { method: 'POST', body: JSON.stringify({ space: w10.name }), headers: { 'content-type': 'application/json' } });
    expect(refit.status).toBe(200);
    expect((await refit.json()).version).toBe(1);
    const twins = await (await app.request(`/api/devices/${device.name}/twins?space=${w10.name}`)).json();
    expect(twins.twins.filter((t: { active: boolean }) => t.active)).toHaveLength(1);
    // One measurement per subnet: the noise ceiling is unknown, and says so.
    const ceiling = await (await app.request(`/api/devices/${device.name}/repeatability?space=${w10.name}`)).json();
    expect(ceiling).toEqual({ space: w10.name, repeatability: null });
    const noSpace = await app.request(`/api/devices/${device.name}/repeatability`);
    expect(noSpace.status).toBe(400);
    expect((await noSpace.json()).error.message).toMatch(/space/);

    const res = await app.request(`/api/devices/${device.name}/pareto?space=${w10.name}&auto=3&objective=macs&generations=5`);
    expect(res.status).toBe(200);
    const front = await res.json();
    expect(front.points).toHaveLength(3);
    expect(front.objective.proxy).toBe(true);
    const again = await (await app.request(`/api/devices/${device.name}/pareto?space=${w10.name}&run=${front.runId}`)).json();
    expect(again.points).toEqual(front.points);
    const runs = await (await app.request(`/api/devices/${device.name}/fronts`)).json();
    expect(runs.runs[0].id).toBe(front.runId);

    const bad = await app.request(`/api/devices/${device.name}/pareto?space=${w10.name}&budgets=abc&objective=macs`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/budgets must be positive numbers of ms/);
    const tight = await app.request(`/api/devices/${device.name}/pareto?space=${w10.name}&budgets=0.01&objective=macs`);
    expect(tight.status).toBe(422);
    expect((await tight.json()).error.message).toMatch(/no subnet of ofa-mbv3-w1.0 fits 0.01 ms/);
    const missing = await app.request(`/api/devices/nobody/pareto?space=${w10.name}&auto=2`);
    expect(missing.status).toBe(404);
  });

  it('prints each device front for the demo, falling back to the labelled MACs proxy', async () => {
    const { db } = getDb();
    const { device } = await measuredDevice(db, 12, (s) => 0.4 + subnetCost(w10, s.config).macs / 50e6);
    const app = new Hono()
      .onError((error, c) => c.json({ error: { name: error.name, message: error.message } }, (error instanceof FarmError ? error.status : 500) as 400))
      .route('/api', searchRoutes({ db }));
    await app.request(`/api/devices/${device.name}/twins/refit`, { method: 'POST', body: JSON.stringify({ space: w10.name }), headers: { 'content-type': 'application/json' } });
    const client = hc('http://farm.test', { fetch: (input: RequestInfo | URL, init?: RequestInit) => app.request(input instanceof Request ? input : String(input), init) }) as unknown as FarmClient;
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    const fronts = await printDeviceFronts(client, { out, err: out, stdin: Readable.from([]), isTty: false }, [device.name], { space: w10.name, auto: 3, generations: 5, waitMs: 5000 });
    expect(fronts).toHaveLength(1);
    expect(text).toMatch(new RegExp(`Pareto front of ${device.name} on ofa-mbv3-w1.0 \\(twin \\w+ v1; objective: MACs, a PROXY for accuracy`));
    expect(text).toMatch(/budget ms\s+predicted ms\s+MMACs \(proxy\)/);
  });
});
