/**
 * Downloads a model from the coordinator with the device token: the coordinator's origin only,
 * a deadline per attempt, a size bound, a sha256 check, and bounded retries of transient
 * failures. Web APIs only (fetch, AbortSignal); where the bytes go is the caller's sink.
 */
import { errorMessage } from '../../core/errors';
import { sleep, withDeadline } from './abort';
import type { Logger } from './log';
import { ModelFetchError, modelUrl, type ModelFetchContext, type ModelRef } from './platform';

/** Where downloaded bytes go (a temp file, memory); one sink per attempt. */
export interface DownloadSink<T> {
  write(chunk: Uint8Array): void | Promise<void>;
  /** Hex sha256 of everything written. */
  digest(): Promise<string>;
  /** Keeps the verified bytes. */
  commit(): Promise<T>;
  /** Throws the bytes away (a failed attempt). */
  discard(): Promise<void>;
}

export interface DownloadLimits {
  /** Largest model the agent accepts. */
  maxModelBytes: number;
  /** Attempts for transient failures (network, 5xx, timeouts, a hash that did not match). */
  attempts: number;
  /** Deadline per attempt: base plus the model's bytes at the slowest acceptable rate. */
  baseTimeoutMs: number;
  minBytesPerSecond: number;
  log: Logger;
}

export const DEFAULT_DOWNLOAD_LIMITS: Omit<DownloadLimits, 'log'> = { maxModelBytes: 1024 ** 3, attempts: 3, baseTimeoutMs: 30_000, minBytesPerSecond: 256 * 1024 };

/** HTTP statuses worth another try. */
const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export function checkModelRef(ref: ModelRef, limits: Pick<DownloadLimits, 'maxModelBytes'>): void {
  if (!/^[0-9a-f]{64}$/.test(ref.sha256)) throw new ModelFetchError(`invalid model sha256 "${ref.sha256}"`, true);
  if (ref.bytes > limits.maxModelBytes) throw new ModelFetchError(`model of ${ref.bytes} bytes exceeds this agent's limit of ${limits.maxModelBytes} bytes`, true);
}

async function attempt<T>(ref: ModelRef, ctx: ModelFetchContext, limits: DownloadLimits, sink: DownloadSink<T>, signal: AbortSignal): Promise<{ value: T; bytes: number }> {
  const url = modelUrl(ctx.baseUrl, ref.url);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${ctx.token}` }, signal, redirect: 'error' });
  } catch (error) {
    if (signal.aborted) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ModelFetchError(`GET ${url.pathname} failed: ${cause?.code ?? cause?.message ?? errorMessage(error)}`, false);
  }
  if (!response.ok || !response.body) {
    const detail = (await response.text().catch(() => '')).slice(0, 200);
    throw new ModelFetchError(`GET ${url.pathname} answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`, !transientStatus(response.status));
  }
  const limit = ref.bytes > 0 ? ref.bytes : limits.maxModelBytes;
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new ModelFetchError(`the coordinator sent ${declared} bytes, expected at most ${limit}`, true);
  let received = 0;
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > limit) {
        await reader.cancel().catch(() => {});
        throw new ModelFetchError(`the download passed ${limit} bytes, more than the job declared`, true);
      }
      await sink.write(value);
      ctx.onProgress?.(received, ref.bytes || received);
    }
    const actual = await sink.digest();
    if (actual !== ref.sha256) throw new ModelFetchError(`sha256 mismatch: expected ${ref.sha256}, the download (${received} bytes) hashes to ${actual}`, false);
  } catch (error) {
    await sink.discard();
    throw error;
  }
  return { value: await sink.commit(), bytes: received };
}

/** Downloads `ref` into a fresh sink per attempt; rejects with ModelFetchError (or the abort reason). */
export async function downloadVerified<T>(ref: ModelRef, ctx: ModelFetchContext, limits: DownloadLimits, newSink: () => Promise<DownloadSink<T>>): Promise<T> {
  checkModelRef(ref, limits);
  const timeoutMs = Math.ceil(limits.baseTimeoutMs + (ref.bytes / limits.minBytesPerSecond) * 1000);
  const attempts = Math.max(1, limits.attempts);
  let lastError: unknown = null;
  for (let n = 1; n <= attempts; n++) {
    const started = Date.now();
    try {
      const sink = await newSink();
      const done = await withDeadline(`downloading model ${ref.sha256.slice(0, 12)}`, timeoutMs, ctx.signal, (signal) => attempt(ref, ctx, limits, sink, signal));
      limits.log.info('model.downloaded', { sha256: ref.sha256, bytes: done.bytes, ms: Date.now() - started });
      return done.value;
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      if (error instanceof ModelFetchError && error.permanent) throw error;
      lastError = error;
      limits.log.warn('model.download_failed', { sha256: ref.sha256, attempt: n, error: errorMessage(error) });
      if (n < attempts) await sleep(500 * 2 ** (n - 1), ctx.signal);
    }
  }
  // A hash that never matches is the coordinator's bad bytes: a failed measurement, not a retry elsewhere.
  const hashProblem = lastError instanceof ModelFetchError && /sha256 mismatch/.test(lastError.message);
  throw new ModelFetchError(`${errorMessage(lastError)} (after ${attempts} attempts)`, hashProblem);
}
