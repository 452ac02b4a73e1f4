/**
 * ModelSource for Node agents: models cached on disk by sha256, downloaded from the coordinator
 * with the device token, bounded in time and size, and verified both after download and on
 * every read from the cache (a corrupt entry is deleted and downloaded again).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../core/errors';
import { sleep, withDeadline } from './abort';
import type { LocalModel } from './backend';
import { silentLogger, type Logger } from './log';
import { ModelFetchError, modelUrl, type ModelFetchContext, type ModelRef, type ModelSource } from './platform';

export interface DiskModelCacheOptions {
  dir: string;
  /** Largest model the agent accepts. */
  maxModelBytes?: number;
  /** Cached models beyond this total are evicted, least recently used first. */
  maxCacheBytes?: number;
  /** Download deadline per attempt: base plus bytes at the slowest acceptable rate. */
  baseTimeoutMs?: number;
  minBytesPerSecond?: number;
  /** Download attempts for transient failures (network, 5xx, a hash that did not match). */
  attempts?: number;
  log?: Logger;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function localModel(sha256: string, path: string, bytes: number): LocalModel {
  return { sha256, bytes, path, read: async () => new Uint8Array(await readFile(path)) };
}

/** HTTP statuses worth another try. */
const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export function createDiskModelCache(options: DiskModelCacheOptions): ModelSource {
  const log = options.log ?? silentLogger;
  const maxModelBytes = options.maxModelBytes ?? 1024 ** 3;
  const attempts = Math.max(1, options.attempts ?? 3);
  const ready = mkdir(options.dir, { recursive: true, mode: 0o700 });

  async function cached(ref: ModelRef, path: string): Promise<LocalModel | null> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return null;
    }
    const actual = await sha256File(path);
    if (actual === ref.sha256) {
      const now = new Date();
      await utimes(path, now, now).catch(() => {});
      return localModel(ref.sha256, path, size);
    }
    log.warn('model.cache_corrupt', { sha256: ref.sha256, actual, action: 'download again' });
    await rm(path, { force: true });
    return null;
  }

  async function downloadOnce(ref: ModelRef, ctx: ModelFetchContext, path: string, signal: AbortSignal): Promise<number> {
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
    const declared = Number(response.headers.get('content-length') ?? NaN);
    const limit = ref.bytes > 0 ? ref.bytes : maxModelBytes;
    if (Number.isFinite(declared) && declared > limit) throw new ModelFetchError(`the coordinator sent ${declared} bytes, expected at most ${limit}`, true);
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    const file = await open(tmp, 'w', 0o600);
    const hash = createHash('sha256');
    let received = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        received += chunk.byteLength;
        if (received > limit) throw new ModelFetchError(`the download passed ${limit} bytes, more than the job declared`, true);
        hash.update(chunk);
        await file.write(chunk);
        ctx.onProgress?.(received, ref.bytes || received);
      }
    } catch (error) {
      await file.close();
      await rm(tmp, { force: true });
      throw error;
    }
    await file.close();
    const actual = hash.digest('hex');
    if (actual !== ref.sha256) {
      await rm(tmp, { force: true });
      throw new ModelFetchError(`sha256 mismatch: expected ${ref.sha256}, the download (${received} bytes) hashes to ${actual}`, false);
    }
    await rename(tmp, path);
    return received;
  }

  async function evict(keep: string): Promise<void> {
    const limit = options.maxCacheBytes ?? 4 * 1024 ** 3;
    const entries = [];
    for (const name of await readdir(options.dir)) {
      const path = join(options.dir, name);
      const info = await stat(path).catch(() => null);
      if (info?.isFile() && name.endsWith('.onnx')) entries.push({ path, size: info.size, used: info.mtimeMs });
    }
    let total = entries.reduce((s, e) => s + e.size, 0);
    for (const entry of entries.sort((a, b) => a.used - b.used)) {
      if (total <= limit) break;
      if (entry.path === keep) continue;
      await rm(entry.path, { force: true });
      total -= entry.size;
      log.info('model.evicted', { path: entry.path, bytes: entry.size });
    }
  }

  return {
    async get(ref, ctx) {
      if (!/^[0-9a-f]{64}$/.test(ref.sha256)) throw new ModelFetchError(`invalid model sha256 "${ref.sha256}"`, true);
      if (ref.bytes > maxModelBytes) throw new ModelFetchError(`model of ${ref.bytes} bytes exceeds this agent's limit of ${maxModelBytes} bytes`, true);
      await ready;
      const path = join(options.dir, `${ref.sha256}.onnx`);
      const hit = await cached(ref, path);
      if (hit) {
        log.debug('model.cache_hit', { sha256: ref.sha256 });
        return hit;
      }
      const timeoutMs = Math.ceil((options.baseTimeoutMs ?? 30_000) + (ref.bytes / (options.minBytesPerSecond ?? 256 * 1024)) * 1000);
      let lastError: unknown = null;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const started = Date.now();
        try {
          const bytes = await withDeadline(`downloading model ${ref.sha256.slice(0, 12)}`, timeoutMs, ctx.signal, (signal) => downloadOnce(ref, ctx, path, signal));
          log.info('model.downloaded', { sha256: ref.sha256, bytes, ms: Date.now() - started });
          await evict(path).catch((error) => log.warn('model.evict_failed', { error: errorMessage(error) }));
          return localModel(ref.sha256, path, bytes);
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          if (error instanceof ModelFetchError && error.permanent) throw error;
          lastError = error;
          log.warn('model.download_failed', { sha256: ref.sha256, attempt, error: errorMessage(error) });
          if (attempt < attempts) await sleep(500 * 2 ** (attempt - 1), ctx.signal);
        }
      }
      const hashProblem = lastError instanceof ModelFetchError && /sha256 mismatch/.test(lastError.message);
      throw new ModelFetchError(`${errorMessage(lastError)} (after ${attempts} attempts)`, hashProblem);
    },
  };
}
