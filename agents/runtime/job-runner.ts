/**
 * The domain side of a job, free of the wire: resolve the model, prepare, measure. Every failure
 * of the model or the device becomes a `failed` measurement with its reason; only an abort
 * (cancel, stop) rejects, and a transient download failure gives the job back.
 */
import { errorMessage } from '../../core/errors';
import { Measurement, failedMeasurement } from '../../core/measurement';
import type { JobFrame } from '../../core/protocol';
import { abortReason } from './abort';
import type { BackendJob, DeviceBackend, MeasurePhase } from './backend';
import { ModelFetchError, type ModelSource } from './platform';

export type JobPhase = 'download' | 'prepare' | MeasurePhase;
export type JobProgressFn = (phase: JobPhase, done: number, total: number) => void;

export type JobOutcome = { kind: 'result'; measurement: Measurement } | { kind: 'release'; reason: string };

export interface JobRunnerDeps {
  backend: DeviceBackend;
  models: ModelSource;
  /** The coordinator's HTTP origin and the device token, for the model download. */
  baseUrl: string;
  token: string;
  progress?: JobProgressFn;
}

/**
 * Prepares and measures one job on a backend. Resolves to a Measurement whatever the model
 * does (a load or run failure is a `failed` one); rejects only when `signal` aborts.
 */
export async function measureJob(backend: DeviceBackend, job: BackendJob, signal: AbortSignal, progress?: JobProgressFn): Promise<Measurement> {
  const startedAt = Date.now();
  progress?.('prepare', 0, 1);
  try {
    await backend.prepare(job, signal);
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    return failedMeasurement(`model failed to load: ${errorMessage(error)}`, startedAt);
  }
  progress?.('prepare', 1, 1);
  let raw: unknown;
  try {
    raw = await backend.measure(job, signal, progress);
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    return failedMeasurement(`measurement failed: ${errorMessage(error)}`, startedAt);
  }
  const parsed = Measurement.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'measurement'}: ${i.message}`);
    return failedMeasurement(`the ${backend.kind} backend produced an invalid measurement: ${issues.join('; ')}`, startedAt);
  }
  return parsed.data;
}

/** Runs a job frame end to end: model download (cached, verified), then measureJob. */
export async function runJob(frame: JobFrame, deps: JobRunnerDeps, signal: AbortSignal): Promise<JobOutcome> {
  const startedAt = Date.now();
  let model;
  try {
    deps.progress?.('download', 0, frame.model.bytes);
    model = await deps.models.get(frame.model, {
      baseUrl: deps.baseUrl,
      token: deps.token,
      signal,
      onProgress: (done, total) => deps.progress?.('download', done, total),
    });
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    const reason = `model download failed: ${errorMessage(error)}`;
    if (error instanceof ModelFetchError && error.permanent) return { kind: 'result', measurement: failedMeasurement(reason, startedAt) };
    return { kind: 'release', reason };
  }
  const job: BackendJob = {
    jobId: frame.jobId,
    attempt: frame.attempt,
    label: frame.label,
    model,
    inputName: frame.inputName,
    inputShape: frame.inputShape,
    settings: frame.settings,
  };
  return { kind: 'result', measurement: await measureJob(deps.backend, job, signal, deps.progress) };
}
