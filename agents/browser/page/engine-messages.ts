/**
 * The messages between the page's engine (main thread) and its measuring worker. The worker
 * owns onnxruntime-web, the session and the timing loop, so timings never include a message hop
 * and the page stays responsive (WebSocket heartbeats, status) while a model runs.
 */
import type { MeasurementSettings } from '../../../core/measurement';
import type { MeasurePhase } from '../../runtime/backend';
import type { TimingResult } from '../../runtime/timing';
import type { WebProvider } from '../parse';
import type { SettleResult } from './settle';

export interface GpuAdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader and the like). */
  isFallbackAdapter: boolean | null;
}

export type ToWorker =
  | { type: 'init'; ortUrl: string; wasmPaths: string; provider: WebProvider; threads: number }
  | { type: 'load'; id: string; bytes: ArrayBuffer; inputName: string }
  | { type: 'measure'; id: string; inputName: string; inputShape: number[]; settings: MeasurementSettings }
  | { type: 'abort'; id: string; reason: string };

export interface WorkerReady {
  ortVersion: string;
  provider: WebProvider;
  /** Threads asked of onnxruntime-web; it runs 1 when the page is not cross-origin isolated. */
  requestedThreads: number;
  crossOriginIsolated: boolean;
  adapter: GpuAdapterFacts | null;
}

export interface WorkerLoaded {
  /** WASM threads onnxruntime-web really runs (read back after it initialised). */
  threads: number;
  inputNames: string[];
  /** Warnings onnxruntime-web printed while creating the session (node placement and such). */
  notes: string[];
}

export type FromWorker =
  | { type: 'ready'; info: WorkerReady }
  | { type: 'init-failed'; error: string }
  | { type: 'loaded'; id: string; loaded: WorkerLoaded }
  | { type: 'load-failed'; id: string; error: string }
  | { type: 'progress'; id: string; phase: MeasurePhase; done: number; total: number }
  | { type: 'measured'; id: string; timing: TimingResult; settle: SettleResult | null }
  | { type: 'run-failed'; id: string; error: string }
  | { type: 'aborted'; id: string; reason: string };
