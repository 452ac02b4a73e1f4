/**
 * The dashboards in headless Chromium against a coordinator with real data: two real edge agent
 * processes (onnxruntime-node) measure short sweeps of the mini space. Each page is loaded; its
 * charts must hold real points and have painted them; live updates must appear without a reload;
 * a wrong admin token must be refused with a visible message. Screenshots go to
 * test-output/dashboards/. The browser pass runs on PGlite (what `npm start` uses); the API tests
 * cover both databases. OFA_FARM_DASHBOARDS_BROWSER_DBS=both runs it on PostgreSQL too.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, type TestContext } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { ADMIN, TestFarm } from '../server/support/test-farm';
import { seedAccuracyPredictor } from './helpers/accuracy';
import { chromiumPath, drawnChart, launchBrowser, screenshot, until, type TestBrowser } from './helpers/browser';
import { startEdgeAgent, type EdgeAgent } from './helpers/edge-agents';

const SPACE = 'ofa-mbv3-mini';
const QUICK = { warmupRuns: 2, warmupMinMs: 10, runs: 10, minTimedMs: 30, maxCv: 1, maxRemeasures: 0 };
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const NO_BROWSER = !chromiumPath() && !IN_CI ? 'no Chromium found (set OFA_FARM_CHROMIUM)' : null;
if (NO_BROWSER) console.warn(`[dashboards] skipping the browser tests: ${NO_BROWSER}`);
const ALL_DBS = process.env.OFA_FARM_DASHBOARDS_BROWSER_DBS === 'both';

describeEachDb('dashboards in a browser', (getDb) => {
  let farm: TestFarm;
  let browser: TestBrowser;
  let page: Page;
  const agents: EdgeAgent[] = [];
  const tokens: Record<string, string> = {};
  const problems: string[] = [];
  const sweeps: Record<string, number> = {};
  let skip: string | null = NO_BROWSER;
  /** A step of the walk through the pages; steps share the farm and the browser, in order. */
  const step = (name: string, fn: () => Promise<void> | void, timeoutMs = 120_000) =>
    it(name, async (ctx: TestContext) => {
      if (skip) return ctx.skip(skip);
      await fn();
    }, timeoutMs);

  const loaded = async (path: string) => {
    await page.goto(`${farm.url}${path}`);
    await page.waitForFunction(() => Number(document.body.dataset.loaded ?? 0) >= 1, null, { timeout: 60_000 });
    await page.evaluate(() => (document.documentElement.dataset.marker = 'same-document'));
  };
  const sameDocument = async () => expect(await page.evaluate(() => document.documentElement.dataset.marker)).toBe('same-document');
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await farm.api(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const waitSweep = (id: number) => until(async () => (await farm.sweep(id)).state === 'done', `sweep ${id} done`, 240_000, 500);

  beforeAll(async () => {
    if (!skip && getDb().kind === 'postgres' && !ALL_DBS) skip = 'the browser pass runs on PGlite (OFA_FARM_DASHBOARDS_BROWSER_DBS=both for PostgreSQL too)';
    if (skip) return;
    farm = await TestFarm.start(getDb(), { heartbeatMs: 500, leaseMs: 60_000, offlineAfterMs: 20_000, helloTimeoutMs: 10_000, reaperIntervalMs: 500 });
    for (const name of ['edge-a', 'edge-b']) tokens[name] = await farm.addDevice(name, 'edge', `host-${name}`);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
  }, 180_000);

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await browser?.close();
    await farm?.stop();
  }, 60_000);

  step('devices page: the devices are listed, then come online live as their agents connect', async () => {
    await loaded('/dashboard/');
    await expect.poll(() => page.locator('table.devices tbody tr').count()).toBe(2);
    expect(await page.locator('table.devices .badge').allTextContents()).toEqual(['offline', 'offline']);
    for (const name of ['edge-a', 'edge-b']) agents.push(startEdgeAgent(name, farm.url, tokens[name], `host-${name}`));
    await until(async () => (await page.locator('table.devices .badge.online, table.devices .badge.busy').count()) === 2, 'both devices online on the page', 120_000);
    await sameDocument();
    await expect.poll(() => page.locator('table.devices td').filter({ hasText: 'onnxruntime-node' }).count()).toBe(2);
    await screenshot(page, 'devices');
  }, 180_000);

  step('sweeps page: a wrong admin token is refused visibly; the right one (asked once) starts and cancels sweeps; progress moves live', async () => {
    await loaded('/dashboard/sweeps');
    await page.selectOption('#sweep-device', 'edge-a');
    await page.selectOption('#sweep-space', SPACE);
    await page.fill('#sweep-count', '24');
    await page.fill('#sweep-runs', String(QUICK.runs));
    await page.fill('#sweep-warmup', String(QUICK.warmupRuns));
    await page.fill('#sweep-timed-ms', String(QUICK.minTimedMs));
    await page.click('#start-sweep-button');
    await page.fill('#admin-token', 'not-the-admin-token');
    await page.click('#admin-token-ok');
    const refusal = page.locator('#sweep-action-status [role="alert"]');
    await refusal.waitFor({ state: 'visible' });
    expect(await refusal.textContent()).toMatch(/^Refused: the admin token is wrong\. Starting the sweep was not done/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, 'sweeps-refused');
    expect((await api('GET', '/api/sweeps')).sweeps).toEqual([]);

    await page.click('#start-sweep-button');
    await page.fill('#admin-token', ADMIN);
    await page.click('#admin-token-ok');
    const started = await page.locator('#sweep-action-status .notice.ok').textContent({ timeout: 30_000 });
    sweeps['edge-a'] = Number(/Sweep (\d+) started: 28 jobs on edge-a/.exec(started ?? '')?.[1]);
    expect(sweeps['edge-a']).toBeGreaterThan(0);
    const bar = page.locator(`.progress[data-sweep="${sweeps['edge-a']}"]`);
    await bar.waitFor();
    expect(Number(await bar.getAttribute('data-total'))).toBe(28);

    // With the token kept for the session, no dialog: a big sweep on edge-b, cancelled from the page.
    await page.selectOption('#sweep-device', 'edge-b');
    await page.fill('#sweep-count', '500');
    await page.click('#start-sweep-button');
    const big = Number(/Sweep (\d+) started/.exec((await page.locator('#sweep-action-status .notice.ok').textContent({ timeout: 30_000 })) ?? '')?.[1]);
    expect(await page.locator('#admin-dialog').count()).toBe(0);
    await page.click(`button[data-cancel="${big}"]`);
    await page.locator('#sweep-action-status .notice.ok', { hasText: `Sweep ${big} cancelled` }).waitFor({ timeout: 30_000 });
    await until(async () => (await farm.sweep(big)).state === 'cancelled', `sweep ${big} cancelled`, 30_000);
    sweeps['edge-b'] = (await farm.startSweep({ device: 'edge-b', count: 20, seed: 5, anchorEvery: 10, settings: QUICK })).id;

    const progressed = await until(async () => Number((await bar.getAttribute('data-done')) ?? 0) >= 5 && Number(await bar.getAttribute('data-done')), 'the progress bar to move', 180_000);
    expect(progressed).toBeGreaterThanOrEqual(5);
    await screenshot(page, 'sweeps-running');
    await waitSweep(sweeps['edge-a']);
    await until(async () => (await bar.getAttribute('data-done')) === '28', 'the bar to reach 28 of 28', 30_000);
    await page.locator('table.sweeps tr', { hasText: `#${big}` }).locator('.badge.cancelled').waitFor();
    await sameDocument();
    await screenshot(page, 'sweeps');
  }, 300_000);

  step('device page: recent measurements against MACs and the anchor drift are drawn', async () => {
    await waitSweep(sweeps['edge-b']);
    await loaded('/dashboard/devices/edge-a');
    const recent = await until(() => drawnChart(page, 'recent-chart'), 'the recent-measurements chart');
    expect(recent.datasets.reduce((n, d) => n + d.points, 0)).toBe(28);
    expect(recent.painted).toBeGreaterThanOrEqual(20);
    const drift = (await drawnChart(page, 'drift-chart'))!;
    expect(drift.datasets[0]).toEqual({ label: `${SPACE} anchor median`, points: 4 });
    expect(drift.painted).toBeGreaterThan(0);
    expect(await page.locator('[data-field="measurements"]').textContent()).toMatch(/^28/);
    await screenshot(page, 'device');
  }, 300_000);

  step('twin quality: a refit appears live; every family has its held-out scatter and the learning curve is drawn', async () => {
    await loaded(`/dashboard/twins?device=edge-a&space=${SPACE}`);
    const before = await page.locator('#twins-version option').count();
    await api('POST', '/api/devices/edge-a/twins/refit', { space: SPACE });
    await until(async () => (await page.locator('#twins-version option').count()) > before, 'the new twin version on the page', 60_000);
    await sameDocument();
    const families = await page.locator('.twin-card').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.family!));
    expect(families.length).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.twin-card.active').count()).toBe(1);
    for (const family of families) {
      const chart = await until(() => drawnChart(page, `twin-${family}`), `the ${family} chart`);
      const held = chart.datasets.find((d) => d.label.endsWith('held-out subnets'))!;
      expect(held.points, family).toBeGreaterThanOrEqual(4);
      expect(chart.datasets.map((d) => d.label)).toContain('±10% band');
      expect(chart.painted).toBeGreaterThanOrEqual(held.points);
    }
    const curve = (await drawnChart(page, 'learning-curve'))!;
    expect(curve.datasets.map((d) => d.label).sort()).toEqual([...families].sort());
    expect(curve.painted).toBeGreaterThan(0);
    await screenshot(page, 'twins');
  }, 300_000);

  step('Pareto fronts: devices overlaid, the chosen subnet per budget highlighted, verified subnets at their measured latency; a new front appears live', async () => {
    await api('POST', '/api/devices/edge-b/twins/refit', { space: SPACE });
    // Budgets spread over each twin's predicted range: always feasible, whatever the noise.
    const frontA = await api('GET', `/api/devices/edge-a/pareto?space=${SPACE}&objective=macs&generations=30&seed=1&auto=4`);
    const verify = await api('POST', `/api/devices/edge-a/pareto/${frontA.runId}/verify`, { settings: QUICK });
    await loaded(`/dashboard/fronts?space=${SPACE}`);
    await api('GET', `/api/devices/edge-b/pareto?space=${SPACE}&objective=macs&generations=30&seed=1&auto=4`);
    await waitSweep(verify.sweepId);
    const labels = (c: Awaited<ReturnType<typeof drawnChart>>) => Object.fromEntries((c?.datasets ?? []).map((d) => [d.label, d.points]));
    const front = await until(async () => {
      const c = await drawnChart(page, 'front-chart');
      const l = labels(c);
      return l['edge-b: chosen per budget'] && l['edge-a: measured (verify)'] ? c : null;
    }, 'both fronts and the verified points on the chart', 90_000);
    await sameDocument();
    const l = labels(front);
    expect(l['edge-a: chosen per budget']).toBe(4);
    expect(l['edge-b: chosen per budget']).toBe(4);
    expect(l['edge-a: measured (verify)']).toBeGreaterThanOrEqual(1);
    expect(l['edge-a: non-dominated (predicted)']).toBeGreaterThan(0);
    expect(front.painted).toBeGreaterThanOrEqual(10);
    expect(await page.locator('#fronts-note').textContent()).toMatch(/MACs, a proxy for accuracy/);
    expect(await page.locator('.front-table[data-device="edge-a"] td').filter({ hasText: '× budget' }).count()).toBeGreaterThanOrEqual(1);
    expect(front.y).toBe('MMACs (proxy for accuracy)');
    await screenshot(page, 'fronts');

    // With an accuracy predictor (fitted on synthetic records here), the same page plots accuracy.
    await seedAccuracyPredictor(getDb().db, SPACE);
    for (const name of ['edge-a', 'edge-b']) await api('GET', `/api/devices/${name}/pareto?space=${SPACE}&objective=accuracy&generations=30&seed=1&auto=4`);
    await page.selectOption('#fronts-objective', 'accuracy');
    const accuracy = await until(async () => {
      const c = await drawnChart(page, 'front-chart');
      return c?.y === 'predicted top-1 accuracy (%)' && labels(c)['edge-b: chosen per budget'] ? c : null;
    }, 'the accuracy fronts on the chart', 60_000);
    expect(labels(accuracy)['edge-a: chosen per budget']).toBe(4);
    expect(accuracy.painted).toBeGreaterThanOrEqual(8);
    expect(await page.locator('#fronts-note').textContent()).toMatch(/^Objective: predicted top-1/);
    expect(await page.locator('.front-table th').filter({ hasText: 'Predicted top-1' }).count()).toBe(2);
    await screenshot(page, 'fronts-accuracy');
  }, 300_000);

  step('subnet view: the anchor drawn as stages and blocks, with MACs, params and its latency on both devices', async () => {
    const { subnets } = await api('GET', `/api/dashboard/subnets?space=${SPACE}&limit=500`);
    const anchor = subnets.reduce((a: { measurements: number }, b: { measurements: number }) => (b.measurements > a.measurements ? b : a));
    const { subnet } = await api('GET', `/api/dashboard/subnets/${anchor.id}`);
    await loaded(`/dashboard/subnets/${anchor.id}`);
    const depth = subnet.config.d.reduce((a: number, b: number) => a + b, 0);
    expect(await page.locator('svg.subnet-diagram [data-block][data-active="true"]').count()).toBe(depth);
    expect(await page.locator('svg.subnet-diagram [data-block][data-active="false"]').count()).toBe(20 - depth);
    expect(await page.locator('[data-field="cost"]').textContent()).toMatch(/MMACs · [\d.]+ M params/);
    const bars = (await until(() => drawnChart(page, 'subnet-latency-chart'), 'the latency bars'))!;
    expect(bars.datasets[0].points).toBe(2);
    expect(bars.painted).toBeGreaterThanOrEqual(2);
    expect(await page.locator('table.subnet-devices tbody tr').count()).toBe(2);
    await screenshot(page, 'subnet');
  }, 120_000);

  step('the pages raised no errors in the browser (but the one refused request)', () => {
    const refused = problems.filter((p) => p.includes('401 (Unauthorized)'));
    expect(refused).toHaveLength(1);
    expect(problems.filter((p) => !refused.includes(p))).toEqual([]);
  });
});
