/**
 * The page's handle on one measuring worker: starts it, waits (bounded) for onnxruntime-web to
 * load, and runs requests with a stall watchdog (a worker silent for too long is terminated)
 * and abort handling (a polite abort, then termination after a grace period).
 */
import { abortReason } from '../../runtime/abort';
import type { WebProvider } from '../parse';
import type { FromWorker, ToWorker, WorkerReady } from './engine-messages';

/** The onnxruntime-web build per provider (files of node_modules/onnxruntime-web/dist). */
export const ORT_BUILDS: Record<WebProvider, string> = {
  wasm: 'ort.wasm.min.mjs',
  webgpu: 'ort.webgpu.min.mjs',
  webgl: 'ort.webgl.min.mjs',
};

type Terminal = Exclude<FromWorker, { type: 'ready' | 'init-failed' | 'progress' }>;
export type Outcome = Terminal | { type: 'stalled'; afterMs: number } | { type: 'died'; error: string };

export interface RequestOptions {
  signal: AbortSignal;
  /** The worker must say something (progress, an answer) at least this often. */
  stallMs: number;
  /** After an abort, how long the worker may take to stop before it is terminated; 0: at once. */
  abortGraceMs: number;
  onProgress?: (phase: 'warmup' | 'measure', done: number, total: number) => void;
}

export interface WorkerSource {
  workerUrl: string;
  /** Folder URL of the onnxruntime-web files, ending in "/". */
  ortBase: string;
}

export class EngineWorker {
  readonly ready: Promise<WorkerReady>;
  private readonly worker: Worker;
  private readonly waiting = new Map<string, (m: FromWorker | { type: 'died'; error: string }) => void>();
  private deadReason: string | null = null;

  constructor(
    source: WorkerSource,
    readonly provider: WebProvider,
    readonly threads: number,
    initTimeoutMs: number,
  ) {
    this.worker = new Worker(source.workerUrl, { type: 'module', name: `ofa-farm ${provider} x${threads}` });
    this.ready = new Promise<WorkerReady>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.terminate(`onnxruntime-web did not load within ${initTimeoutMs} ms`);
        reject(new Error(`onnxruntime-web did not load within ${initTimeoutMs} ms`));
      }, initTimeoutMs);
      this.waiting.set('', (m) => {
        clearTimeout(timer);
        this.waiting.delete('');
        if (m.type === 'ready') resolve(m.info);
        else if (m.type === 'init-failed') reject(new Error(`onnxruntime-web could not start: ${m.error}`));
        else if (m.type === 'died') reject(new Error(m.error));
      });
    });
    this.ready.catch(() => {});
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      const id = m.type === 'ready' || m.type === 'init-failed' ? '' : m.id;
      this.waiting.get(id)?.(m);
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.terminate(`the measuring worker failed: ${ev.message || 'script error (could it load?)'}`);
    };
    this.post({ type: 'init', ortUrl: `${source.ortBase}${ORT_BUILDS[provider]}`, wasmPaths: source.ortBase, provider, threads });
  }

  get dead(): boolean {
    return this.deadReason !== null;
  }

  terminate(reason = 'terminated'): void {
    if (this.deadReason) return;
    this.deadReason = reason;
    this.worker.terminate();
    for (const answer of [...this.waiting.values()]) answer({ type: 'died', error: reason });
    this.waiting.clear();
  }

  private post(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  /** Sends a load or measure request; resolves with its outcome, rejects only when `signal` aborts. */
  request(msg: Extract<ToWorker, { type: 'load' | 'measure' }>, opts: RequestOptions, transfer: Transferable[] = []): Promise<Outcome> {
    const { signal } = opts;
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (this.deadReason) return Promise.resolve({ type: 'died', error: this.deadReason });
    return new Promise<Outcome>((resolve, reject) => {
      let stall: ReturnType<typeof setTimeout> | undefined;
      let grace: ReturnType<typeof setTimeout> | undefined;
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(stall);
        clearTimeout(grace);
        signal.removeEventListener('abort', onAbort);
        this.waiting.delete(msg.id);
        fn();
      };
      const arm = () => {
        clearTimeout(stall);
        stall = setTimeout(() => {
          done(() => resolve({ type: 'stalled', afterMs: opts.stallMs }));
          this.terminate(`no sign of life for ${opts.stallMs} ms`);
        }, opts.stallMs);
      };
      const onAbort = () => {
        if (opts.abortGraceMs <= 0) {
          done(() => reject(abortReason(signal)));
          return this.terminate(`aborted: ${abortReason(signal).message}`);
        }
        this.post({ type: 'abort', id: msg.id, reason: abortReason(signal).message });
        grace = setTimeout(() => {
          done(() => reject(abortReason(signal)));
          this.terminate(`did not stop within ${opts.abortGraceMs} ms of an abort`);
        }, opts.abortGraceMs);
      };
      this.waiting.set(msg.id, (m) => {
        if (m.type === 'progress') {
          arm();
          if (!signal.aborted) opts.onProgress?.(m.phase, m.done, m.total);
          return;
        }
        if (signal.aborted) return done(() => reject(abortReason(signal)));
        if (m.type === 'ready' || m.type === 'init-failed') return;
        done(() => resolve(m));
      });
      signal.addEventListener('abort', onAbort, { once: true });
      arm();
      try {
        this.post(msg, transfer);
      } catch (error) {
        done(() => resolve({ type: 'died', error: `could not reach the measuring worker: ${(error as Error).message}` }));
      }
    });
  }
}
