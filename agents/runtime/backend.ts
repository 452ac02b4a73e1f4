/**
 * The one interface every kind of device sits behind (STYLE.md, habit 4). The runtime owns the
 * connection, heartbeats, backoff, the job loop, the model cache and the outbox; a backend only
 * knows how to describe its device, load a model and time it.
 *
 * Contract (checked by test/conformance for every backend):
 * - `describe()` returns a description that `DeviceDescription` accepts.
 * - `prepare(job, signal)` loads `job.model`; it rejects with an Error naming the reason when the
 *   model cannot be loaded (the runtime turns that into a `failed` measurement).
 * - `measure(job, signal)` times the prepared model and resolves to a Measurement; a model that
 *   fails to run is a `failed` measurement with the error, never a rejection.
 * - Both reject with `signal.reason` soon after `signal` aborts (within one model run).
 * - `close()` releases everything (sessions, pages, device handles); it is idempotent, and a
 *   closed backend rejects further `prepare` calls.
 */
import type { Measurement, MeasurementSettings } from '../../core/measurement';
import type { AgentKind, DeviceDescriptionInput } from '../../core/protocol';

/** A model on the agent's side, already verified against its sha256. */
export interface LocalModel {
  sha256: string;
  bytes: number;
  /** The cached file, where the platform has a file system (Node agents); null elsewhere. */
  path: string | null;
  /** The model's bytes, read on demand. */
  read(): Promise<Uint8Array>;
}

/** What a backend gets for one job: the job frame's fields, with the model resolved locally. */
export interface BackendJob {
  jobId: string;
  attempt: number;
  label: string;
  model: LocalModel;
  inputName: string;
  inputShape: number[];
  settings: MeasurementSettings;
}

export type MeasurePhase = 'warmup' | 'measure';

/** Progress of a measurement: runs done of a planned total, per phase. */
export type ProgressFn = (phase: MeasurePhase, done: number, total: number) => void;

export interface DeviceBackend {
  readonly kind: AgentKind;
  describe(): Promise<DeviceDescriptionInput>;
  prepare(job: BackendJob, signal: AbortSignal): Promise<void>;
  measure(job: BackendJob, signal: AbortSignal, progress?: ProgressFn): Promise<Measurement>;
  close(): Promise<void>;
}

/** Creates a backend; the conformance suite calls it once per case. */
export type BackendFactory = () => Promise<DeviceBackend> | DeviceBackend;

/** The error a backend rejects with after `close()`. */
export class BackendClosedError extends Error {
  constructor(kind: string) {
    super(`the ${kind} backend is closed`);
    this.name = 'BackendClosedError';
  }
}
