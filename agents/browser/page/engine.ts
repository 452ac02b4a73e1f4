/**
 * The browser's DeviceBackend, in the page: onnxruntime-web in a measuring worker (one per
 * thread count: onnxruntime-web fixes its thread pool when it loads). The agent page runs it
 * under the runtime; the bench page lets a Playwright-side backend drive it.
 */
import { failedMeasurement, type Measurement, type Provenance } from '../../../core/measurement';
import type { DeviceDescriptionInput } from '../../../core/protocol';
import { abortReason, throwIfAborted } from '../../runtime/abort';
import { BackendClosedError, type BackendJob, type DeviceBackend } from '../../runtime/backend';
import { performanceClock, timingMeasurement, type ProvenanceBase } from '../../runtime/timing';
import type { WebProvider } from '../parse';
import type { WorkerLoaded, WorkerReady } from './engine-messages';
import { EngineWorker, type WorkerSource } from './engine-worker-client';
import { INPUT_SEED } from '../../runtime/model-input';
import { adapterLabel, describeDevice, probeEnvironment, type PageEnvironment } from './probe';

export interface PageBackendOptions extends WorkerSource {
  provider: WebProvider;
  /** WASM threads when a job does not say; null: navigator.hardwareConcurrency. */
  threads: number | null;
  /** A measuring worker silent this long (no progress) is terminated and the job fails with that reason. */
  stallMs?: number;
  /** Deadline for onnxruntime-web to create a model's session. */
  loadTimeoutMs?: number;
  /** How long an aborted run may take to stop before its worker is terminated. */
  abortGraceMs?: number;
  initTimeoutMs?: number;
  /** Called on every sign of life (phase changes, progress): watchdogs and the page's view. */
  onActivity?: () => void;
}

export interface PageBackend extends DeviceBackend {
  /** The probed environment (also in describe()'s specs). */
  environment(): Promise<PageEnvironment>;
}

interface Prepared {
  jobId: string;
  attempt: number;
  worker: EngineWorker;
  ready: WorkerReady;
  loaded: WorkerLoaded;
}

export function createPageBackend(options: PageBackendOptions): PageBackend {
  const stallMs = options.stallMs ?? 120_000;
  const loadTimeoutMs = options.loadTimeoutMs ?? 120_000;
  const abortGraceMs = options.abortGraceMs ?? 2_000;
  const initTimeoutMs = options.initTimeoutMs ?? 60_000;
  const defaultThreads = options.threads ?? Math.max(1, Math.min(64, navigator.hardwareConcurrency || 1));
  const env = probeEnvironment();
  const activity = () => options.onActivity?.();
  let worker: EngineWorker | null = null;
  let prepared: Prepared | null = null;
  let closed = false;

  const workerFor = async (threads: number, signal?: AbortSignal): Promise<{ w: EngineWorker; ready: WorkerReady }> => {
    if (!worker || worker.dead || worker.threads !== threads) {
      worker?.terminate('replaced by a worker with another thread count');
      worker = new EngineWorker(options, options.provider, threads, initTimeoutMs);
    }
    const w = worker;
    if (!signal) return { w, ready: await w.ready };
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true }));
    throwIfAborted(signal);
    return { w, ready: await Promise.race([w.ready, aborted]) };
  };

  const provenanceBase = (job: BackendJob, p: Prepared | null, environment: PageEnvironment): ProvenanceBase => ({
    runtime: 'onnxruntime-web',
    runtimeVersion: p?.ready.ortVersion ?? 'unknown',
    executionProvider: options.provider,
    threads: p?.loaded.threads ?? null,
    inputShape: job.inputShape,
    extra: {
      crossOriginIsolated: environment.crossOriginIsolated,
      wasmThreads: p?.loaded.threads ?? null,
      wasmSimd: environment.simd,
      browser: environment.browser,
      webgpuAdapter: options.provider === 'webgpu' && p?.ready.adapter ? adapterLabel(p.ready.adapter) : null,
      placementNotes: p?.loaded.notes.join(' | ').slice(0, 1000) || null,
      inputSeed: INPUT_SEED,
      label: job.label || null,
    },
  });

  return {
    kind: 'browser',
    environment: () => env,

    async describe(): Promise<DeviceDescriptionInput> {
      const environment = await env;
      const { ready } = await workerFor(defaultThreads);
      const threads = ready.crossOriginIsolated && environment.sharedMemory ? ready.requestedThreads : 1;
      return describeDevice(environment, { provider: options.provider, ortVersion: ready.ortVersion, threads });
    },

    async prepare(job, signal) {
      if (closed) throw new BackendClosedError('browser');
      throwIfAborted(signal);
      prepared = null;
      activity();
      const threads = job.settings.threads ?? defaultThreads;
      const { w, ready } = await workerFor(threads, signal);
      const bytes = await job.model.read();
      // A copy is transferred: the model cache keeps its own bytes.
      const copy = bytes.slice().buffer;
      const outcome = await w.request({ type: 'load', id: `${job.jobId}@${job.attempt}`, bytes: copy, inputName: job.inputName }, { signal, stallMs: loadTimeoutMs, abortGraceMs: 0, onProgress: activity }, [copy]);
      activity();
      if (closed) throw new BackendClosedError('browser');
      if (outcome.type === 'load-failed') throw new Error(outcome.error);
      if (outcome.type === 'stalled') throw new Error(`onnxruntime-web took longer than ${outcome.afterMs} ms to load the model`);
      if (outcome.type !== 'loaded') throw new Error(outcome.type === 'died' ? outcome.error : `unexpected answer "${outcome.type}" from the measuring worker`);
      prepared = { jobId: job.jobId, attempt: job.attempt, worker: w, ready, loaded: outcome.loaded };
    },

    async measure(job, signal, progress): Promise<Measurement> {
      const startedAt = Date.now();
      if (closed) throw new BackendClosedError('browser');
      const environment = await env;
      const p = prepared && prepared.jobId === job.jobId && prepared.attempt === job.attempt ? prepared : null;
      const base = provenanceBase(job, p, environment);
      const failed = (error: string) =>
        failedMeasurement(error, startedAt, { ...base, clockSource: performanceClock.name, timerResolutionMs: environment.timerResolutionMs, warmupRuns: 0, warmupMs: 0 } satisfies Provenance);
      if (!p) return failed('measure called before a successful prepare');
      throwIfAborted(signal);
      const asked = job.settings.threads;
      if (asked !== undefined && asked !== p.loaded.threads) {
        const why = environment.crossOriginIsolated ? '' : ' because the page is not cross-origin isolated (no shared memory)';
        return failed(`the job asks for ${asked} WASM threads but onnxruntime-web runs ${p.loaded.threads} on this page${why}`);
      }
      activity();
      // A page sent to the background is throttled (and on phones, frozen): its timings are suspect.
      let hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
      const onVisibility = () => (hidden ||= document.visibilityState === 'hidden');
      if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisibility);
      let outcome;
      try {
        outcome = await p.worker.request(
          { type: 'measure', id: `${job.jobId}@${job.attempt}`, inputName: job.inputName, inputShape: job.inputShape, settings: job.settings },
          {
            signal,
            stallMs,
            abortGraceMs,
            onProgress: (phase, done, total) => {
              activity();
              progress?.(phase, done, total);
            },
          },
        );
      } finally {
        if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisibility);
      }
      activity();
      if (outcome.type === 'run-failed') return failed(outcome.error);
      if (outcome.type === 'stalled') return failed(`the measuring worker showed no progress for ${outcome.afterMs} ms (a hung run); it was stopped`);
      if (outcome.type === 'died') return failed(`the measuring worker died: ${outcome.error}`);
      if (outcome.type !== 'measured') return failed(`unexpected answer "${outcome.type}" from the measuring worker`);
      const m = timingMeasurement(outcome.timing, base, startedAt);
      const s = outcome.settle;
      if (s && m.provenance) {
        m.provenance.warmupRuns += s.runs;
        m.provenance.warmupMs += s.ms;
        Object.assign(m.provenance.extra, { settleRuns: s.runs, settleMs: Math.round(s.ms * 1000) / 1000, settled: s.settled });
      }
      if (m.provenance) m.provenance.extra.pageHidden = hidden;
      return m;
    },

    async close() {
      closed = true;
      prepared = null;
      worker?.terminate('backend closed');
      worker = null;
    },
  };
}
