import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { start, type RunningBrowserAgent } from '../../../agents/browser/main';
import { agentPageUrl } from '../../../agents/browser/parse';
import { describeEachDb } from '../../helpers/databases';
import { eventually, TestFarm } from '../../server/support/test-farm';

// End to end with real headless Chromium: coordinator (PGlite and PostgreSQL) -> launcher ->
// agent page -> onnxruntime-web -> stored measurements; and the page's failures.
const QUICK = { warmupRuns: 3, warmupMinMs: 20, runs: 10, minTimedMs: 40, maxCv: 0.5, maxRemeasures: 0 };
/**
 * Long enough to be caught mid-measurement even when the polled status lags on a loaded machine
 * (at 2.5 s a fault sometimes landed just after the result was sent), short enough to re-measure.
 */
const LONGER = { ...QUICK, minTimedMs: 6_000, maxRuns: 1_000_000 };

describeEachDb('browser agent end to end', (getDb) => {
  let farm: TestFarm;
  let agent: RunningBrowserAgent;
  const lines: string[] = [];

  beforeAll(async () => {
    farm = await TestFarm.start(getDb(), { leaseMs: 8_000, offlineAfterMs: 5_000, helloTimeoutMs: 5_000 });
    const token = await farm.addDevice('chromium-1', 'browser');
    agent = await start({ server: farm.url, token, pollMs: 300, hangMs: 6_000, maxRestarts: 10 }, { writeLog: (line) => lines.push(line) });
    await eventually(async () => (await farm.api('GET', '/api/devices/chromium-1')).body.device?.status === 'online', 'the browser agent to come online', 90_000);
  }, 180_000);

  afterAll(async () => {
    await agent?.stop();
    await farm?.stop();
  });

  const page = (): Page => {
    const p = agent.page();
    if (!p) throw new Error('the launcher has no page');
    return p;
  };

  /** Starts a one-job sweep and waits until the page is in its measuring phase. */
  async function sweepCaughtMeasuring(): Promise<{ id: number; restartsBefore: number }> {
    const restartsBefore = agent.status().restarts;
    const sweep = await farm.startSweep({ device: 'chromium-1', count: 1, seed: Math.floor(Math.random() * 1e6), settings: LONGER });
    // This sweep's job: the status can still show the previous test's last job for a poll or two.
    const measuringIt = () => {
      const p = agent.status().page;
      return p?.phase === 'measuring' && (p.jobLabel ?? '').startsWith(`sweep ${sweep.id} `);
    };
    await eventually(async () => measuringIt() || undefined, `the page to be measuring sweep ${sweep.id}`, 90_000);
    return { id: sweep.id, restartsBefore };
  }

  async function expectReleasedAndMeasuredOnce(id: number, restartsBefore: number): Promise<void> {
    const done = await farm.waitSweep(id, ['done'], 120_000);
    expect(done.state).toBe('done');
    expect(agent.status().restarts).toBe(restartsBefore + 1);
    const rows = (await farm.measurements('device=chromium-1')).filter((m) => m.sweepId === id);
    expect(rows).toHaveLength(1);
    expect(rows[0].attempt).toBe(2);
    expect(['ok', 'unstable']).toContain(rows[0].status);
  }

  it('a sweep stores measurements whose provenance shows cross-origin isolation and the WASM thread count', async () => {
    const sweep = await farm.startSweep({ device: 'chromium-1', count: 3, settings: QUICK });
    await farm.waitSweep(sweep.id, ['done'], 120_000);
    const device = (await farm.api('GET', '/api/devices/chromium-1')).body.device;
    expect(device.kind).toBe('browser');
    expect(device.description.runtime).toBe('onnxruntime-web');
    expect(device.description.specs.crossOriginIsolated).toBe(true);
    const cores = device.description.cores as number;
    expect(device.description.threads).toBe(cores);
    const rows = (await farm.measurements('device=chromium-1')).filter((m) => m.sweepId === sweep.id);
    expect(rows).toHaveLength(3);
    for (const m of rows) {
      expect(['ok', 'unstable']).toContain(m.status);
      expect(m.medianMs).toBeGreaterThan(0);
      const p = m.provenance;
      expect(p.runtime).toBe('onnxruntime-web');
      expect(p.executionProvider).toBe('wasm');
      expect(p.extra.crossOriginIsolated).toBe(true);
      expect(p.threads).toBe(cores);
      expect(p.extra.wasmThreads).toBe(cores);
      expect(p.timerResolutionMs).toBeLessThan(0.1);
      expect(p.clockSource).toBe('performance.now');
    }
    expect(lines.join('')).toMatch(/info job\.measured agent=browser/);
    // What a person sees on the page.
    await page().getByText(/median [\d.]+ ms, CV [\d.]+, \d+ runs/).waitFor({ timeout: 10_000 });
    // The page counts a job once its result is handed over, which can be after the sweep is done.
    await page().getByText(/3 measured on this page/).waitFor({ timeout: 10_000 });
    const text = await page().locator('body').innerText();
    expect(text).toContain('Connected as chromium-1');
    expect(text).toMatch(/3 measured on this page/);
    expect(text).toMatch(/Cross-origin isolated\s+yes/);
    expect(await page().locator('input[name=token]').isVisible()).toBe(false);
  });

  it('a page that crashes mid-job is restarted, and the job is re-leased and measured once', async () => {
    const { id, restartsBefore } = await sweepCaughtMeasuring();
    const cdp = await page().context().newCDPSession(page());
    void cdp.send('Page.crash').catch(() => {});
    await expectReleasedAndMeasuredOnce(id, restartsBefore);
    expect(lines.join('')).toMatch(/warn page\.restart .*reason="the page crashed"/);
  });

  it('a page closed mid-job is reopened, and the job is re-leased and measured once', async () => {
    const { id, restartsBefore } = await sweepCaughtMeasuring();
    await page().close();
    await expectReleasedAndMeasuredOnce(id, restartsBefore);
    expect(lines.join('')).toMatch(/reason="the page was closed"/);
  });

  it('a hung page (main thread stuck mid-job) is restarted, and the job is re-leased and measured once', async () => {
    const { id, restartsBefore } = await sweepCaughtMeasuring();
    void page()
      .evaluate(() => {
        for (;;);
      })
      .catch(() => {});
    await expectReleasedAndMeasuredOnce(id, restartsBefore);
    expect(lines.join('')).toMatch(/reason="the page did not answer within \d+ ms/);
  });

  it('a browser that crashes mid-job is relaunched, and the job is re-leased and measured once', async () => {
    const { id, restartsBefore } = await sweepCaughtMeasuring();
    const before = agent.launched();
    const cdp = await before!.browser.newBrowserCDPSession();
    void cdp.send('Browser.crash').catch(() => {});
    await expectReleasedAndMeasuredOnce(id, restartsBefore);
    expect(agent.launched()).not.toBe(before);
    expect(lines.join('')).toMatch(/reason="the (browser exited|page crashed|page was closed)"/);
    expect(lines.join('')).toMatch(/info browser\.relaunched/);
  });

  it('a wrong token in the URL gives a clear message on the page; the launcher ends with it', async () => {
    const wrong = await page().context().newPage();
    try {
      await wrong.goto(agentPageUrl(farm.url, 'not-a-real-token-0000'));
      await wrong.getByText(/refused this page's device token/).waitFor({ timeout: 60_000 });
      const text = await wrong.locator('body').innerText();
      expect(text).toMatch(/device token is not valid/);
      expect(text).toMatch(/ofa-farm device add --kind browser/);
      expect(await wrong.locator('input[name=token]').isVisible()).toBe(true);
    } finally {
      await wrong.close();
    }
    const refused = await start({ server: farm.url, token: 'not-a-real-token-0000', pollMs: 300 }, { writeLog: () => {} });
    const exit = await Promise.race([refused.finished, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit')), 90_000))]);
    expect(exit).toMatchObject({ fatal: true, code: 'auth_failed' });
    expect(exit.message).toMatch(/device token is not valid/);
  });
});
