/**
 * The bench page (`/agent/bench`): the page's measuring engine without a farm connection, for a
 * Playwright-side DeviceBackend (agents/browser/backend.ts) to drive through `window.ofaBench`.
 * Models are fetched from `bench-model/<sha256>`, which the driving side answers itself.
 */
import type { Measurement, MeasurementSettings } from '../../../core/measurement';
import type { DeviceDescriptionInput } from '../../../core/protocol';
import { AbortedError } from '../../runtime/abort';
import type { BackendJob, LocalModel } from '../../runtime/backend';
import { parsePageParams } from '../parse';
import { createPageBackend } from './engine';

/** A job as the driving side sends it: the model by hash, everything else as in BackendJob. */
export interface BenchJob {
  key: string;
  jobId: string;
  attempt: number;
  label: string;
  model: { sha256: string; bytes: number };
  inputName: string;
  inputShape: number[];
  settings: MeasurementSettings;
}

export interface OfaBench {
  describe(): Promise<DeviceDescriptionInput>;
  prepare(job: BenchJob): Promise<void>;
  measure(job: BenchJob): Promise<Measurement>;
  abort(key: string, reason: string): void;
  close(): Promise<void>;
}

declare global {
  interface Window {
    ofaBench?: OfaBench;
    /** Exposed by the driving side (Playwright) to receive progress. */
    ofaBenchProgress?: (key: string, phase: string, done: number, total: number) => void;
  }
}

const assets = new URL('./', import.meta.url);
const parsed = parsePageParams(location.search);
const params = parsed.ok ? parsed.params : null;
const positive = (name: string) => {
  const value = Number(new URLSearchParams(location.search).get(name));
  return Number.isFinite(value) && value > 0 ? value : undefined;
};
const backend = createPageBackend({
  provider: params?.backend ?? 'wasm',
  threads: params?.threads ?? null,
  workerUrl: new URL('engine-worker.js', assets).toString(),
  ortBase: new URL('../ort/', assets).toString(),
  stallMs: positive('stallMs'),
  loadTimeoutMs: positive('loadTimeoutMs'),
});
const controllers = new Map<string, AbortController>();
const models = new Map<string, Promise<Uint8Array>>();

function fetchModel(sha256: string): Promise<Uint8Array> {
  let bytes = models.get(sha256);
  if (!bytes) {
    bytes = fetch(new URL(`bench-model/${sha256}`, location.href)).then(async (res) => {
      if (!res.ok) throw new Error(`bench-model/${sha256.slice(0, 12)} answered HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    });
    bytes.catch(() => models.delete(sha256));
    models.set(sha256, bytes);
    while (models.size > 4) models.delete(models.keys().next().value as string);
  }
  return bytes;
}

function backendJob(job: BenchJob): BackendJob {
  const model: LocalModel = { sha256: job.model.sha256, bytes: job.model.bytes, path: null, read: () => fetchModel(job.model.sha256) };
  return { jobId: job.jobId, attempt: job.attempt, label: job.label, model, inputName: job.inputName, inputShape: job.inputShape, settings: job.settings };
}

function signalFor(key: string): AbortSignal {
  let controller = controllers.get(key);
  if (!controller) {
    controller = new AbortController();
    controllers.set(key, controller);
  }
  return controller.signal;
}

window.ofaBench = {
  describe: () => backend.describe(),
  prepare: (job) => backend.prepare(backendJob(job), signalFor(job.key)),
  async measure(job) {
    try {
      return await backend.measure(backendJob(job), signalFor(job.key), (phase, done, total) => window.ofaBenchProgress?.(job.key, phase, done, total));
    } finally {
      controllers.delete(job.key);
    }
  },
  abort(key, reason) {
    const controller = controllers.get(key) ?? new AbortController();
    controllers.set(key, controller);
    controller.abort(new AbortedError(reason));
  },
  close: () => backend.close(),
};
document.body.dataset.ready = 'true';
