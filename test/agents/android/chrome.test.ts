/**
 * Chrome mode end to end: the host agent reverses the coordinator's port onto the simulated
 * phone and opens the farm's agent page with a VIEW intent; the phone's browser (headless
 * Chromium whose only network is adb reverse) joins as a browser device and measures a sweep.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bounded } from '../../../agents/android/adb';
import { start, type RunningAndroidAgent } from '../../../agents/android/main';
import { createSimBrowser } from '../../../agents/android/sim/browser';
import { openDb, type DbHandle } from '../../../db/client';
import { startCoordinator, type Coordinator } from '../../../server/main';
import { eventually } from '../../server/support/test-farm';
import { attachPhone, startTestAdbServer, type TestAdbServer, type TestPhone } from './helpers/adb-harness';

const ADMIN = 'admin-token-for-the-chrome-mode-test';

describe('android agent, chrome mode', () => {
  let adb: TestAdbServer;
  let phone: TestPhone;
  let db: DbHandle;
  let coordinator: Coordinator;
  let agent: RunningAndroidAgent | null = null;
  const browser = createSimBrowser();
  const logs: string[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${coordinator.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    adb = await startTestAdbServer();
    phone = await attachPhone(adb, { profileName: 'pixel-7', browser });
    db = await openDb({ kind: 'memory' });
    coordinator = await startCoordinator({ port: 0, home: mkdtempSync(join(tmpdir(), 'ofa-chrome-')), adminToken: ADMIN, heartbeatMs: 500, helloTimeoutMs: 10_000 }, { db });
  }, 120_000);

  afterAll(async () => {
    await agent?.stop('test over');
    await phone?.stop();
    await adb?.stop();
    await coordinator?.stop();
    await db?.close();
  }, 60_000);

  it("opens the agent page in the phone's browser through adb reverse; the page measures a sweep", async () => {
    const enroll = await api('POST', '/api/enrollment-tokens', { label: 'chrome' });
    const cache = mkdtempSync(join(tmpdir(), 'ofa-chrome-agent-'));
    agent = await start(
      { server: coordinator.url, enrollToken: enroll.body.token, adbPort: adb.port, mode: 'chrome', tokenFile: join(cache, 'phones.json'), cacheDir: cache, logLevel: 'debug' },
      { writeLog: (line) => logs.push(line) },
    );
    const name = 'pixel-7-simpx7a0001-chrome';
    const device = await eventually(async () => {
      const d = (await api('GET', `/api/devices/${name}`)).body.device;
      return d?.status === 'online' && d.description ? d : undefined;
    }, 'the page on the phone to join', 120_000).catch((error) => {
      throw new Error(`${error.message}\n${logs.join('')}`);
    });
    expect(device.kind).toBe('browser');
    expect(device.description.runtime).toBe('onnxruntime-web');
    expect(device.description.specs.crossOriginIsolated).toBe(true);
    const port = new URL(coordinator.url).port;
    expect(await bounded(phone.device.listReverses(), 'reverses', 10_000)).toEqual([{ remote: `tcp:${port}`, local: `tcp:${port}` }]);
    expect(phone.sim.device.history.some((c) => c.startsWith(`am start -a android.intent.action.VIEW -d 'http://localhost:${port}/agent?token=`))).toBe(true);

    const sweep = await api('POST', '/api/sweeps', { device: name, space: 'ofa-mbv3-mini', count: 1, seed: 3, anchorEvery: 0, settings: { warmupRuns: 3, warmupMinMs: 20, runs: 10, minTimedMs: 40, maxCv: 1, maxRemeasures: 0 } });
    expect(sweep.status).toBe(201);
    await eventually(async () => (await api('GET', `/api/sweeps/${sweep.body.sweep.id}`)).body.sweep.state === 'done' || undefined, 'the sweep to finish', 120_000);
    const rows = (await api('GET', `/api/measurements?device=${name}`)).body.measurements;
    expect(rows).toHaveLength(1);
    expect(['ok', 'unstable']).toContain(rows[0].status);
    expect(rows[0].provenance).toMatchObject({ runtime: 'onnxruntime-web', executionProvider: 'wasm', extra: { crossOriginIsolated: true } });
    // The page, its assets, the WebSocket and the model all came over adb's reverse data path.
    expect(browser.carried()).toBeGreaterThan(1);

    await agent.stop('test over');
    agent = null;
    expect(browser.page()).toBeNull();
    expect(await bounded(phone.device.listReverses(), 'reverses', 10_000)).toEqual([]);
  }, 300_000);
});
