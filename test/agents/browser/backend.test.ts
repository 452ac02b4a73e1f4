import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserBackend, type BrowserBackend } from '../../../agents/browser/backend';
import { launchBrowser, type LaunchedBrowser } from '../../../agents/browser/launch';
import { measureJob } from '../../../agents/runtime/job-runner';
import type { BackendJob } from '../../../agents/runtime/backend';
import { MeasurementSettings, type MeasurementSettingsInput } from '../../../core/measurement';
import { DeviceDescription } from '../../../core/protocol';
import { QUICK_SETTINGS } from '../../conformance/device-backend.case';
import { localModel, tinyModel } from '../../conformance/test-models';
import { startPageServer, type PageServer } from './helpers/page-server';

// What the browser backend adds to the shared contract: isolation, threads, the timer, the
// provider that ran, and no silent fallback. Real headless Chromium, real onnxruntime-web.
let pages: PageServer;
let browser: LaunchedBrowser;
const backends: BrowserBackend[] = [];

function job(settings: MeasurementSettingsInput = QUICK_SETTINGS): BackendJob {
  const model = tinyModel();
  return { jobId: `b-${Math.random().toString(36).slice(2, 8)}`, attempt: 1, label: 'mini min', model: localModel(model.bytes), inputName: 'input', inputShape: model.inputShape, settings: MeasurementSettings.parse(settings) };
}

async function backend(options: Partial<Parameters<typeof createBrowserBackend>[0]> = {}): Promise<BrowserBackend> {
  const b = await createBrowserBackend({ server: pages.url, context: browser.context, ...options });
  backends.push(b);
  return b;
}

beforeAll(async () => {
  pages = await startPageServer();
  browser = await launchBrowser({ browser: 'chromium' });
}, 120_000);

afterAll(async () => {
  for (const b of backends) await b.close();
  await browser?.close();
  await pages?.close();
});

describe('the browser backend (headless Chromium, onnxruntime-web)', () => {
  it('runs cross-origin isolated with WASM threads, SIMD and a fine timer, and says so in describe and provenance', async () => {
    const b = await backend();
    const device = DeviceDescription.parse(await b.describe());
    const cores = device.cores ?? 1;
    expect(device.runtime).toBe('onnxruntime-web');
    expect(device.runtimeVersion).toMatch(/^1\.\d+\.\d+/);
    expect(device.specs.crossOriginIsolated).toBe(true);
    expect(device.specs.wasmSimd).toBe(true);
    expect(device.threads).toBe(cores);
    expect(device.specs.browser).toMatch(/Chrom/);
    expect(device.executionProviders).toContain('wasm');

    const m = await measureJob(b, job({ ...QUICK_SETTINGS, threads: undefined }), new AbortController().signal);
    expect(['ok', 'unstable']).toContain(m.status);
    const p = m.provenance!;
    expect(p.executionProvider).toBe('wasm');
    expect(p.threads).toBe(cores);
    expect(p.extra.wasmThreads).toBe(cores);
    expect(p.extra.crossOriginIsolated).toBe(true);
    expect(p.clockSource).toBe('performance.now');
    // Isolated pages get 5 us in Chromium; 100 us is what a page without isolation gets.
    expect(p.timerResolutionMs).toBeGreaterThan(0);
    expect(p.timerResolutionMs).toBeLessThan(0.1);
    // JIT settle runs come before the regular warm-up and are counted in it.
    expect(p.extra.settleRuns).toBeGreaterThan(0);
    expect(typeof p.extra.settled).toBe('boolean');
    expect(p.warmupRuns).toBeGreaterThanOrEqual(QUICK_SETTINGS.warmupRuns! + (p.extra.settleRuns as number));
    expect(p.extra.pageHidden).toBe(false);
  });

  it('honours a job\'s thread count (one onnxruntime-web per count)', async () => {
    const b = await backend();
    for (const threads of [2, 1]) {
      const m = await measureJob(b, job({ ...QUICK_SETTINGS, threads }), new AbortController().signal);
      expect(m.status, m.error ?? '').not.toBe('failed');
      expect(m.provenance!.threads).toBe(threads);
    }
  });

  it('treats a missing WebGPU adapter as a failed measurement naming it, never a silent fallback to wasm', async () => {
    const b = await backend({ provider: 'webgpu' });
    const device = DeviceDescription.parse(await b.describe());
    expect(device.specs.provider).toBe('webgpu');
    const m = await measureJob(b, job(), new AbortController().signal);
    expect(m.status).toBe('failed');
    expect(m.error).toMatch(/WebGPU/);
    expect(m.stats).toBeNull();
  });

  it('webgl: either measures on webgl or fails with onnxruntime-web\'s reason (OFA\'s HardSwish has no WebGL kernel)', async () => {
    const b = await backend({ provider: 'webgl' });
    const m = await measureJob(b, job(), new AbortController().signal);
    if (m.status === 'failed') expect(m.error).toMatch(/HardSwish|webgl|WebGL|backend/i);
    else expect(m.provenance!.executionProvider).toBe('webgl');
  });

  it('gives up on a model whose session takes too long to create (the worker is replaced, not reused)', async () => {
    const b = await backend({ modelLoadTimeoutMs: 1 });
    for (let i = 0; i < 2; i++) {
      const m = await measureJob(b, job(), new AbortController().signal);
      expect(m.status).toBe('failed');
      expect(m.error).toMatch(/took longer than 1 ms to load the model/);
    }
  });

  it('the agent page without a token, or with a bad parameter, asks for one and says why', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${pages.url}/agent`);
      await page.getByText(/becomes a measuring device of the farm once it has a device token/).waitFor({ timeout: 30_000 });
      expect(await page.locator('input[name=token]').isVisible()).toBe(true);
      await page.goto(`${pages.url}/agent?token=t&backend=cuda`);
      await page.getByText(/URL parameter "backend" is not valid/).waitFor({ timeout: 30_000 });
    } finally {
      await page.close();
    }
  });
});
