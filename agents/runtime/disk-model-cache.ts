/**
 * ModelSource for Node agents: models cached on disk by sha256, downloaded with
 * downloadVerified (token, deadline, size bound, hash check, retries), and verified again on
 * every read from the cache: a corrupt entry is deleted and downloaded again. Old entries are
 * evicted beyond a total size, least recently used first.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../core/errors';
import type { LocalModel } from './backend';
import { silentLogger, type Logger } from './log';
import { checkModelRef, DEFAULT_DOWNLOAD_LIMITS, downloadVerified, type DownloadLimits, type DownloadSink } from './model-download';
import type { ModelRef, ModelSource } from './platform';

export interface DiskModelCacheOptions extends Partial<Omit<DownloadLimits, 'log'>> {
  dir: string;
  /** Cached models beyond this total are evicted, least recently used first. */
  maxCacheBytes?: number;
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

/** A temp file next to the cache entry, renamed into place once verified. */
async function fileSink(ref: ModelRef, path: string): Promise<DownloadSink<LocalModel>> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const file = await open(tmp, 'w', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  let closed = false;
  const close = async () => {
    if (!closed) await file.close();
    closed = true;
  };
  return {
    write: async (chunk) => {
      hash.update(chunk);
      bytes += chunk.byteLength;
      await file.write(chunk);
    },
    digest: async () => hash.digest('hex'),
    commit: async () => {
      await close();
      await rename(tmp, path);
      return localModel(ref.sha256, path, bytes);
    },
    discard: async () => {
      await close();
      await rm(tmp, { force: true });
    },
  };
}

export function createDiskModelCache(options: DiskModelCacheOptions): ModelSource {
  const log = options.log ?? silentLogger;
  const limits: DownloadLimits = { ...DEFAULT_DOWNLOAD_LIMITS, ...options, log };
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
      checkModelRef(ref, limits);
      await ready;
      const path = join(options.dir, `${ref.sha256}.onnx`);
      const hit = await cached(ref, path);
      if (hit) {
        log.debug('model.cache_hit', { sha256: ref.sha256 });
        return hit;
      }
      const model = await downloadVerified(ref, ctx, limits, () => fileSink(ref, path));
      await evict(path).catch((error) => log.warn('model.evict_failed', { error: errorMessage(error) }));
      return model;
    },
  };
}
