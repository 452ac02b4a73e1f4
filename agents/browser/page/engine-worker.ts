/**
 * The measuring worker (a module worker, one per provider and thread count): it imports
 * onnxruntime-web from the coordinator (our node_modules, never a CDN), creates one session per
 * job with exactly the requested execution provider, and times it in place: settle detection,
 * then the runtime's timing loop on performance.now(). Only the numbers travel to the page.
 */
import type * as Ort from 'onnxruntime-web';
import { errorMessage } from '../../../core/errors';
import { AbortedError } from '../../runtime/abort';
import { performanceClock, timeRuns } from '../../runtime/timing';
import type { WebProvider } from '../parse';
import type { FromWorker, ToWorker } from './engine-messages';
import { seededInput } from '../../runtime/model-input';
import { adapterFacts, type GpuAdapterLike } from './probe';
import { settle, settleOptionsFor } from './settle';

/** onnxruntime-web prints this when it drops a requested provider and carries on with another. */
const FALLBACK_WARNING = /removing requested execution provider/i;

interface WorkerScope {
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
  crossOriginIsolated?: boolean;
  navigator: Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } };
}

const scope = globalThis as unknown as WorkerScope;
let ort: typeof Ort | null = null;
let provider: WebProvider = 'wasm';
let adapterFound: GpuAdapterLike | null = null;
let session: Ort.InferenceSession | null = null;
const running = new Map<string, AbortController>();

const post = (message: FromWorker) => scope.postMessage(message);

async function init(msg: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  try {
    provider = msg.provider;
    if (provider === 'webgpu') {
      const gpu = scope.navigator.gpu;
      if (!gpu) throw new Error('WebGPU was requested but this browser has no navigator.gpu in workers (WebGPU needs a secure context, https or localhost, and a browser that ships it)');
      adapterFound = await gpu.requestAdapter();
    }
    const loaded = (await import(/* @vite-ignore */ msg.ortUrl)) as typeof Ort & { default?: typeof Ort };
    ort = loaded.InferenceSession ? loaded : (loaded.default as typeof Ort);
    ort.env.wasm.wasmPaths = msg.wasmPaths;
    ort.env.wasm.numThreads = msg.threads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'warning';
    if (adapterFound) (ort.env.webgpu as { adapter: unknown }).adapter = adapterFound;
    post({
      type: 'ready',
      info: {
        ortVersion: ort.env.versions.web ?? ort.env.versions.common,
        provider,
        requestedThreads: msg.threads,
        crossOriginIsolated: scope.crossOriginIsolated === true,
        adapter: adapterFound ? adapterFacts(adapterFound) : null,
      },
    });
  } catch (error) {
    post({ type: 'init-failed', error: errorMessage(error) });
  }
}

/** Runs `work` while recording what onnxruntime-web prints (it reports fallbacks only there). */
async function capturingConsole<T>(work: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const original = { warn: console.warn, error: console.error, log: console.log };
  const capture =
    (inner: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : errorMessage(a))).join(' '));
      inner(...args);
    };
  console.warn = capture(original.warn);
  console.error = capture(original.error);
  console.log = capture(original.log);
  try {
    return { value: await work(), lines };
  } finally {
    Object.assign(console, original);
  }
}

async function load(msg: Extract<ToWorker, { type: 'load' }>): Promise<void> {
  const o = ort;
  try {
    if (!o) throw new Error('onnxruntime-web is not loaded');
    const old = session;
    session = null;
    await old?.release();
    if (provider === 'webgpu' && !adapterFound) throw new Error('WebGPU was requested but navigator.gpu.requestAdapter() found no adapter; refusing to fall back to another provider');
    const options: Ort.InferenceSession.SessionOptions = { executionProviders: [provider], graphOptimizationLevel: 'all', executionMode: 'sequential' };
    const { value: created, lines } = await capturingConsole(() => o.InferenceSession.create(new Uint8Array(msg.bytes), options));
    const fallback = lines.find((l) => FALLBACK_WARNING.test(l));
    if (fallback) {
      await created.release();
      throw new Error(`onnxruntime-web fell back from the requested provider ${provider}: ${fallback}`);
    }
    if (!created.inputNames.includes(msg.inputName)) {
      await created.release();
      throw new Error(`the model has no input "${msg.inputName}"; its inputs are: ${created.inputNames.join(', ') || 'none'}`);
    }
    session = created;
    const notes = lines.filter((l) => /not assigned|placed on|fall ?back/i.test(l)).map((l) => l.slice(0, 300));
    post({ type: 'loaded', id: msg.id, loaded: { threads: o.env.wasm.numThreads ?? 1, inputNames: [...created.inputNames], notes } });
  } catch (error) {
    post({ type: 'load-failed', id: msg.id, error: errorMessage(error) });
  }
}

async function measure(msg: Extract<ToWorker, { type: 'measure' }>): Promise<void> {
  const controller = new AbortController();
  running.set(msg.id, controller);
  const { signal } = controller;
  try {
    const current = session;
    const o = ort;
    if (!current || !o) throw new Error('measure called before a successful prepare');
    let feeds: Record<string, Ort.Tensor>;
    try {
      feeds = { [msg.inputName]: new o.Tensor('float32', seededInput(msg.inputShape), msg.inputShape) };
    } catch (error) {
      throw new Error(`bad input: ${errorMessage(error)}`);
    }
    const run = async () => {
      const outputs = await current.run(feeds);
      for (const t of Object.values(outputs)) t.dispose?.();
    };
    const progress = (phase: 'warmup' | 'measure', done: number, total: number) => post({ type: 'progress', id: msg.id, phase, done, total });
    const bounds = settleOptionsFor(msg.settings);
    let settled = null;
    try {
      settled = bounds ? await settle(run, bounds, { clock: performanceClock, signal, progress }) : null;
      const timing = await timeRuns(run, { settings: msg.settings, clock: performanceClock, signal, progress });
      post({ type: 'measured', id: msg.id, timing, settle: settled });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new Error(`inference failed: ${errorMessage(error)}`);
    }
  } catch (error) {
    if (signal.aborted) post({ type: 'aborted', id: msg.id, reason: errorMessage(signal.reason) });
    else post({ type: 'run-failed', id: msg.id, error: errorMessage(error) });
  } finally {
    running.delete(msg.id);
  }
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'init') void init(msg);
  else if (msg.type === 'load') void load(msg);
  else if (msg.type === 'measure') void measure(msg);
  else if (msg.type === 'abort') running.get(msg.id)?.abort(new AbortedError(msg.reason));
};
