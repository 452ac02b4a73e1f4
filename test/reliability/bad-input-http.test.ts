/**
 * Bad input over HTTP, for every route the app serves (enumerated from the app): garbage path
 * parameters and query strings, bodies that are not JSON or not objects, and valid bodies with
 * one field broken. Each gets a 4xx with `{error: {name, message}}` (the message naming the
 * broken field where there is one), never a 500, and a snapshot of every farm table taken
 * before equals the one taken after.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { TestFarm } from '../server/support/test-farm';
import { snapshotDb, snapshotDiff } from './support/db-snapshot';
import { appRoutes, fillPath, isMutating, type Route } from './support/routes';

/** GET routes left out: a server-sent event stream (never ends) and page bundles (static, slow to build). */
const SKIP_GET = [/^\/api\/dashboard\/events$/, /^\/dashboard/, /^\/agent\/assets/, /^\/$/, /^\/agent(\/bench|\/)?$/];

/** Query keys each GET route reads, with a value it accepts. */
const QUERIES: Record<string, Record<string, string>> = {
  '/api/measurements': { device: 'd1', space: 'ofa-mbv3-mini', limit: '10', after: '0', status: 'ok', uncounted: '1', samples: '0', sweep: '1', subnet: '0123456789abcdef' },
  '/api/sweeps': { device: 'd1', active: '1', limit: '5' },
  '/api/devices/:name/pareto': { space: 'ofa-mbv3-mini', budgets: '5,10', objective: 'macs', seed: '1', generations: '2', run: '1' },
  '/api/devices/:name/fronts': { space: 'ofa-mbv3-mini' },
  '/api/devices/:name/twins': { space: 'ofa-mbv3-mini' },
  '/api/dashboard/sweeps': { device: 'd1' },
  '/api/dashboard/fronts': { space: 'ofa-mbv3-mini' },
  '/api/dashboard/twins': { space: 'ofa-mbv3-mini' },
  '/api/dashboard/subnets': { space: 'ofa-mbv3-mini' },
};

/** Mutating routes that take a JSON body: one valid body each (fields are broken one at a time). */
const BODIES: Record<string, Record<string, unknown>> = {
  'POST /api/devices': { name: 'fuzz-1', kind: 'edge', host: 'rack-1' },
  'POST /api/enrollment-tokens': { label: 'rack', maxUses: 2, ttlMs: 60_000 },
  'POST /api/enroll': { name: 'fuzz-2', kind: 'android', host: null },
  'POST /api/sweeps': { device: 'd1', space: 'ofa-mbv3-mini', strategy: 'random', count: 2, seed: 3, anchorEvery: 0, maxAttempts: 2, settings: { runs: 5, warmupRuns: 1 } },
  'POST /api/sweeps/:id/cancel': { reason: 'fuzz' },
  'POST /api/devices/:name/twins/refit': { space: 'ofa-mbv3-mini', statistic: 'median', seed: 1 },
  'POST /api/devices/:name/pareto/:run/verify': { settings: { runs: 5 } },
};
/** Mutating routes without a body: only their path parameters can be bad. */
const NO_BODY = ['DELETE /api/devices/:name', 'POST /api/devices/:name/token'];

const GARBAGE_PARAMS: Array<Record<string, string>> = [
  { name: 'ghost', id: '999999', sha256: 'f'.repeat(64), run: '999999', file: 'nope.js', '*': 'nope', ...{} },
  { name: 'x'.repeat(300), id: 'abc', sha256: 'not-a-hash', run: '-1', file: '../../package.json', '*': '../../etc/passwd' },
  { name: '%00', id: '1e3', sha256: 'F'.repeat(64), run: '99999999999999999999', file: '..%2F..%2Fpackage.json', '*': '%2e%2e' },
];

type Leaf = { path: string[]; value: unknown };
function leaves(value: unknown, path: string[] = []): Leaf[] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return path.length ? [{ path, value }] : [];
}
function withLeaf(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let node: any = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
  return copy;
}

describeEachDb('bad input over HTTP changes nothing stored', (getDb) => {
  let farm: TestFarm;
  let enrollToken: string;
  let requests: string[];
  beforeEach(async () => {
    farm = await TestFarm.start(getDb());
    await farm.addDevice('d1');
    await farm.startSweep({ device: 'd1', count: 2, startAt: Date.now() + 3600_000 });
    enrollToken = (await farm.api('POST', '/api/enrollment-tokens', { label: 'fuzz', maxUses: 5 })).body.token;
    requests = [];
  });
  afterEach(async () => {
    await farm.stop();
  });

  /** One request that must be refused: 4xx, an error body, never a 500. */
  async function refused(method: string, path: string, body?: string, headers: Record<string, string> = {}, token: string | null = farm.coordinator.adminToken): Promise<{ status: number; message: string }> {
    const res = await fetch(`${farm.url}${path}`, { method, body, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
    const text = await res.text();
    const what = `${method} ${path.slice(0, 120)} ${String(body).slice(0, 120)} -> ${res.status} ${text.slice(0, 200)}`;
    requests.push(what);
    expect(res.status, what).toBeGreaterThanOrEqual(400);
    expect(res.status, what).toBeLessThan(500);
    const parsed = JSON.parse(text) as { error: { name: string; message: string } };
    expect(parsed.error.name, what).toMatch(/Error$/);
    expect(parsed.error.message.length, what).toBeGreaterThan(0);
    return { status: res.status, message: parsed.error.message };
  }

  it('refuses garbage path parameters and query strings on every route', async () => {
    const routes = appRoutes().filter((r) => !SKIP_GET.some((re) => re.test(r.path)));
    const before = await snapshotDb(getDb().db);
    for (const route of routes) {
      const params = route.path.includes(':') || route.path.includes('*') ? GARBAGE_PARAMS : [];
      for (const values of params) {
        const body = BODIES[`${route.method} ${route.path}`];
        await refused(route.method, fillPath(route.path, values), body ? JSON.stringify(body) : undefined, { 'content-type': 'application/json' });
      }
    }
    // one query key broken at a time, the others valid: the message names the key
    const oneBad = fc.tuple(fc.constantFrom(...Object.keys(QUERIES)), fc.string({ minLength: 1, maxLength: 30 }), fc.nat());
    for (const [path, junk, pick] of fc.sample(oneBad, { numRuns: 80, seed: 11 })) {
      const valid = QUERIES[path];
      const key = Object.keys(valid)[pick % Object.keys(valid).length];
      if (junk === valid[key] || /^\d+$/.test(junk) || /^[\d,.\s]+$/.test(junk)) continue;
      const query = new URLSearchParams({ ...valid, [key]: junk.includes('ofa-mbv3') ? `${junk}!` : junk });
      const { message } = await refused('GET', `${fillPath(path, { name: 'd1' })}?${query}`);
      expect(message, `${path} ${key}=${junk}`).toContain(key);
    }
    expect(requests.length).toBeGreaterThan(80);
    expect(snapshotDiff(before, await snapshotDb(getDb().db))).toEqual([]);
  }, 120_000);

  it('refuses bodies that are not JSON objects, and valid bodies with one field broken, naming the field', async () => {
    const mutating = appRoutes().filter(isMutating);
    const unknown = mutating.map((r) => `${r.method} ${r.path}`).filter((key) => !(key in BODIES) && !NO_BODY.includes(key));
    expect(unknown, 'a new mutating route: add it to BODIES or NO_BODY here').toEqual([]);
    const before = await snapshotDb(getDb().db);
    const target = (r: Route) => fillPath(r.path, { name: 'd1', id: '1', run: '999999' });
    const tokenFor = (r: Route) => (r.path === '/api/enroll' ? enrollToken : farm.coordinator.adminToken);
    const json = { 'content-type': 'application/json' };
    for (const route of mutating.filter((r) => `${r.method} ${r.path}` in BODIES)) {
      const valid = BODIES[`${route.method} ${route.path}`];
      for (const bad of ['{not json', '[]', '[1,2]', '42', '"text"', 'null', '{"a":', '\u0000']) {
        await refused(route.method, target(route), bad, json, tokenFor(route));
      }
      await refused(route.method, target(route), JSON.stringify(valid), { 'content-type': 'text/plain' }, tokenFor(route));
      await refused(route.method, target(route), JSON.stringify(valid).repeat(2), json, tokenFor(route));
      const wrongs: unknown[] = [{ nested: true }, [1], 'x'.repeat(5000), -1, 1e308, true, '\u0000'];
      for (const { path, value } of leaves(valid)) {
        for (const wrong of wrongs) {
          if (typeof value === typeof wrong && typeof wrong !== 'string') continue;
          const { message } = await refused(route.method, target(route), JSON.stringify(withLeaf(valid, path, wrong)), json, tokenFor(route));
          if (message.startsWith('invalid request body')) expect(message, `${route.method} ${route.path} ${path.join('.')}=${JSON.stringify(wrong).slice(0, 40)}`).toContain(path.at(-1));
        }
      }
    }
    for (const key of NO_BODY) {
      const [method, path] = key.split(' ');
      for (const values of GARBAGE_PARAMS) await refused(method, fillPath(path, values));
    }
    expect(snapshotDiff(before, await snapshotDb(getDb().db))).toEqual([]);
    expect(requests.length).toBeGreaterThan(100);
  }, 120_000);
});
