/**
 * The browser backend, seen from Node: a DeviceBackend whose every call runs in a real browser
 * page (the coordinator's `/agent/bench`) through Playwright. The page measures exactly as the
 * agent page does (same engine, worker, onnxruntime-web); this side only carries jobs, model
 * bytes (answered from Node through request interception) and aborts. Used by the conformance
 * suite and by anything in Node that wants a browser's timings of a model.
 */
import type { BrowserContext, Page, Route } from 'playwright-core';
import type { Measurement } from '../../core/measurement';
import type { DeviceDescriptionInput } from '../../core/protocol';
import { abortReason, throwIfAborted } from '../runtime/abort';
import { BackendClosedError, type BackendJob, type DeviceBackend, type LocalModel, type ProgressFn } from '../runtime/backend';
import { launchBrowser, type LaunchOptions, type LaunchedBrowser } from './launch';
import type { WebProvider } from './parse';
import type { BenchJob, OfaBench } from './page/bench-page';

export interface BrowserBackendOptions {
  /** A server with the agent page routes: the coordinator's URL. */
  server: string;
  /** An open browser context to add a page to (closed by its owner); otherwise one is launched. */
  context?: BrowserContext;
  launch?: Omit<LaunchOptions, 'provider'>;
  provider?: WebProvider;
  /** WASM threads when a job does not say; default: the browser's hardwareConcurrency. */
  threads?: number;
  /** The page fails a run silent for this long (ms) ... */
  stallMs?: number;
  /** ... and a model whose session takes longer than this to create. */
  modelLoadTimeoutMs?: number;
  /** Deadline for the page to load and its engine to start. */
  loadTimeoutMs?: number;
}

export interface BrowserBackend extends DeviceBackend {
  readonly page: Page;
  /** The launched browser, when this backend launched one. */
  readonly launched: LaunchedBrowser | null;
}

/** "page.evaluate: Error: the model has no input ...\n    at ..." -> "the model has no input ..." */
export function pageErrorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split('\n')[0] ?? text;
  return first.replace(/^page\.evaluate: /, '').replace(/^(Error|TypeError|RangeError|AbortError): /, '');
}

export async function createBrowserBackend(opts: BrowserBackendOptions): Promise<BrowserBackend> {
  const provider = opts.provider ?? 'wasm';
  const launched = opts.context ? null : await launchBrowser({ browser: 'chromium', ...opts.launch, provider });
  const context = opts.context ?? (launched as LaunchedBrowser).context;
  const page = await context.newPage();
  const models = new Map<string, LocalModel>();
  const progressFns = new Map<string, ProgressFn>();
  const keys = new WeakMap<AbortSignal, string>();
  let counter = 0;
  let closed = false;
  let crashed: string | null = null;
  page.on('crash', () => (crashed = 'the bench page crashed'));
  page.on('close', () => (crashed ??= 'the bench page was closed'));

  try {
    await page.route('**/bench-model/*', async (route: Route) => {
      const sha256 = new URL(route.request().url()).pathname.split('/').pop() ?? '';
      const model = models.get(sha256);
      if (!model) return route.fulfill({ status: 404, body: `no model ${sha256.slice(0, 12)} on the driving side` });
      const bytes = await model.read();
      await route.fulfill({ status: 200, body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), headers: { 'content-type': 'application/octet-stream', 'cross-origin-resource-policy': 'same-origin' } });
    });
    await page.exposeFunction('ofaBenchProgress', (key: string, phase: 'warmup' | 'measure', done: number, total: number) => progressFns.get(key)?.(phase, done, total));
    const url = new URL(`${opts.server.replace(/\/+$/, '')}/agent/bench`);
    if (provider !== 'wasm') url.searchParams.set('backend', provider);
    if (opts.threads !== undefined) url.searchParams.set('threads', String(opts.threads));
    if (opts.stallMs !== undefined) url.searchParams.set('stallMs', String(opts.stallMs));
    if (opts.modelLoadTimeoutMs !== undefined) url.searchParams.set('loadTimeoutMs', String(opts.modelLoadTimeoutMs));
    const timeout = opts.loadTimeoutMs ?? 60_000;
    await page.goto(url.toString(), { timeout });
    await page.waitForFunction(() => window.ofaBench !== undefined, null, { timeout });
  } catch (error) {
    await page.close().catch(() => {});
    await launched?.close();
    throw new Error(`the bench page did not start: ${pageErrorMessage(error)}`);
  }

  const keyFor = (job: BackendJob, signal: AbortSignal) => {
    let key = keys.get(signal);
    if (!key) {
      key = `${job.jobId}@${job.attempt}#${++counter}`;
      keys.set(signal, key);
    }
    return key;
  };

  const benchJob = (job: BackendJob, key: string): BenchJob => ({
    key,
    jobId: job.jobId,
    attempt: job.attempt,
    label: job.label,
    model: { sha256: job.model.sha256, bytes: job.model.bytes },
    inputName: job.inputName,
    inputShape: job.inputShape,
    settings: job.settings,
  });

  /** Runs `work` in the page; an abort of `signal` is passed on, and the call rejects with its reason. */
  const inPage = async <T>(key: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> => {
    if (closed) throw new BackendClosedError('browser');
    if (crashed) throw new Error(crashed);
    throwIfAborted(signal);
    const onAbort = () => void page.evaluate(([k, reason]) => window.ofaBench?.abort(k, reason), [key, abortReason(signal).message] as const).catch(() => {});
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await work();
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      if (closed) throw new BackendClosedError('browser');
      throw new Error(crashed ?? pageErrorMessage(error));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };

  return {
    kind: 'browser',
    page,
    launched,

    async describe(): Promise<DeviceDescriptionInput> {
      if (crashed) throw new Error(crashed);
      return page.evaluate(() => (window.ofaBench as OfaBench).describe());
    },

    async prepare(job, signal) {
      const key = keyFor(job, signal);
      models.set(job.model.sha256, job.model);
      while (models.size > 8) models.delete(models.keys().next().value as string);
      await inPage(key, signal, () => page.evaluate((j) => (window.ofaBench as OfaBench).prepare(j), benchJob(job, key)));
    },

    async measure(job, signal, progress): Promise<Measurement> {
      const key = keyFor(job, signal);
      if (progress) progressFns.set(key, progress);
      try {
        return await inPage(key, signal, () => page.evaluate((j) => (window.ofaBench as OfaBench).measure(j), benchJob(job, key)));
      } finally {
        progressFns.delete(key);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await page.evaluate(() => window.ofaBench?.close()).catch(() => {});
      await page.close().catch(() => {});
      await launched?.close();
    },
  };
}
