import { afterEach, describe, expect, it, vi } from 'vitest';
import { seededInput } from '../../../agents/runtime/model-input';
import { settle, settleOptionsFor, windowsAgree } from '../../../agents/browser/page/settle';
import { agentPageUrl, joinInstructions, parsePageParams, parseUserAgent, PageStatus } from '../../../agents/browser/parse';
import { parseBrowserAgentConfig } from '../../../agents/browser/main';
import { sha256Hex as webSha256Hex } from '../../../agents/runtime/web-platform';
import { MeasurementSettings } from '../../../core/measurement';
import { sha256Hex } from '../../../core/subnet-id';

describe('browser agent configuration', () => {
  it('fills defaults and names the bad option', () => {
    const config = parseBrowserAgentConfig({ server: 'http://127.0.0.1:7070', token: 'tok' });
    expect(config).toMatchObject({ browser: 'chromium', backend: 'wasm', headed: false, hangMs: 180_000, graceMs: 5_000 });
    expect(() => parseBrowserAgentConfig({ server: 'ftp://x', token: 't' })).toThrow(/--server must/);
    expect(() => parseBrowserAgentConfig({ server: 'http://x', token: '' })).toThrow(/device token is required/);
    expect(() => parseBrowserAgentConfig({ server: 'http://x', token: 't', backend: 'cuda' as never })).toThrow(/^backend:/);
  });
});

describe('the agent page URL and its parameters', () => {
  it('builds the URL under a prefix, with the token and only non-default options', () => {
    expect(agentPageUrl('http://10.0.0.2:7070/', 'a b&c')).toBe('http://10.0.0.2:7070/agent?token=a+b%26c');
    expect(agentPageUrl('https://farm.example/lab', 't', { backend: 'webgpu', threads: 4, host: 'box' })).toBe('https://farm.example/lab/agent?token=t&backend=webgpu&threads=4&host=box');
  });

  it('round-trips through the page parser', () => {
    const url = new URL(agentPageUrl('http://h:1', 'tok en', { backend: 'webgl', threads: 2, host: 'k' }));
    expect(parsePageParams(url.search)).toEqual({ ok: true, params: { token: 'tok en', backend: 'webgl', threads: 2, host: 'k' } });
    expect(parsePageParams('')).toEqual({ ok: true, params: { token: null, backend: 'wasm', threads: null, host: null } });
  });

  it('names a bad parameter instead of ignoring it', () => {
    expect(parsePageParams('?token=t&backend=cuda')).toEqual({ ok: false, error: 'URL parameter "backend" is not valid (one of wasm, webgpu, webgl): "cuda"' });
    expect(parsePageParams('?token=t&threads=0')).toMatchObject({ ok: false, error: expect.stringMatching(/"threads" is not valid \(an integer from 1 to 64\)/) });
    expect(parsePageParams('?token=t&threads=two')).toMatchObject({ ok: false });
  });

  it('prints join instructions with the URL, and the LAN caveats for a local coordinator', () => {
    const local = joinInstructions('http://127.0.0.1:7070', 'ofad_x');
    expect(local).toContain('http://127.0.0.1:7070/agent?token=ofad_x');
    expect(local).toContain('ofa-farm agent browser --server http://127.0.0.1:7070');
    expect(local).toMatch(/adb reverse/);
    expect(joinInstructions('https://farm.example', 't')).not.toMatch(/adb reverse/);
  });

  it('validates the status a page reports', () => {
    expect(PageStatus.safeParse({ state: 'connected', message: null, deviceName: 'd', busyJobId: null, jobLabel: null, phase: null, jobIdleMs: null, jobsMeasured: 0, outbox: 0 }).success).toBe(true);
    expect(PageStatus.safeParse({ state: 'dancing' }).success).toBe(false);
  });
});

describe('user agents', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36', { browser: 'Chromium (headless) 156.0.0.0', os: 'Linux x86_64', model: null }],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36', { browser: 'Chrome 126.0.6478.71', os: 'Android 14', model: 'Pixel 7' }],
    ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36', { browser: 'Chrome 126.0.0.0', os: 'Android 10', model: null }],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1', { browser: 'Safari 17.1', os: 'iOS 17.1', model: null }],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', { browser: 'Firefox 133.0', os: 'Linux x86_64', model: null }],
    ['Mozilla/5.0 (Linux; Android 13; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36', { browser: 'Samsung Internet 23.0', os: 'Android 13', model: 'SM-A546B' }],
  ])('%s', (ua, facts) => {
    expect(parseUserAgent(ua)).toEqual(facts);
  });
});

describe('JIT settle detection', () => {
  it('agrees when the last two windows have close medians', () => {
    expect(windowsAgree([50, 40, 30, 10, 10, 10, 10, 10, 10, 10], 5, 0.1)).toBe(false);
    expect(windowsAgree([9, 10, 11, 10, 10, 10, 10.5, 9.8, 10, 10.2], 5, 0.1)).toBe(true);
    expect(windowsAgree([1, 1, 1], 5, 0.1)).toBe(false);
  });

  it('runs until the timings settle, counting the slow first runs', async () => {
    let now = 0;
    const durations = [60, 30, 12, 11, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10];
    let i = 0;
    const clock = { name: 'fake', now: () => now };
    const result = await settle(async () => (now += durations[Math.min(i++, durations.length - 1)]), { window: 5, tolerance: 0.1, maxRuns: 100, maxMs: 10_000 }, { clock, signal: new AbortController().signal, yieldIntervalMs: 1e9 });
    expect(result.settled).toBe(true);
    expect(result.runs).toBe(11);
    expect(result.lastMedianMs).toBe(10);
  });

  it('stops at its bounds when timings never settle, and honours an abort', async () => {
    let now = 0;
    let n = 0;
    const clock = { name: 'fake', now: () => now };
    // Ever slower runs (a device heating up): never two agreeing windows.
    const noisy = async () => (now += 10 + 5 * n++);
    const capped = await settle(noisy, { window: 2, tolerance: 0.01, maxRuns: 1000, maxMs: 500 }, { clock, signal: new AbortController().signal, yieldIntervalMs: 1e9 });
    expect(capped.settled).toBe(false);
    expect(capped.ms).toBeGreaterThanOrEqual(500);
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(settle(noisy, { window: 2, tolerance: 0.1, maxRuns: 10, maxMs: 100 }, { clock, signal: controller.signal })).rejects.toThrow('stop now');
  });

  it('follows the job settings, and is skipped when the job asks for no warm-up', () => {
    expect(settleOptionsFor(MeasurementSettings.parse({}))).toMatchObject({ window: 5, maxMs: 2000 });
    expect(settleOptionsFor(MeasurementSettings.parse({ warmupRuns: 0, warmupMinMs: 0 }))).toBeNull();
    expect(settleOptionsFor(MeasurementSettings.parse({ warmupMinMs: 10 }))?.maxMs).toBe(250);
  });
});

describe('page inputs and hashes', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('feeds the same seeded numbers as every other agent kind (pinned: changing them breaks comparisons across devices)', () => {
    expect(Array.from(seededInput([1, 1, 2, 2]))).toEqual([-0.5593068599700928, 0.9314167499542236, -0.4085860550403595, -0.584652841091156]);
    const big = seededInput([1, 3, 64, 64]);
    expect(Array.from(big.slice(0, 4))).toEqual(Array.from(seededInput([1, 1, 2, 2])));
    expect(big.every((v) => v >= -1 && v < 1)).toBe(true);
    expect(() => seededInput([1, 1e6, 1e6])).toThrow(/more than/);
  });

  it('hashes models without crypto.subtle (pages outside a secure context)', async () => {
    const bytes = new TextEncoder().encode('model bytes');
    const withSubtle = await webSha256Hex(bytes);
    vi.stubGlobal('crypto', {});
    expect(await webSha256Hex(bytes)).toBe(withSubtle);
    expect(withSubtle).toBe(sha256Hex(bytes));
  });
});
