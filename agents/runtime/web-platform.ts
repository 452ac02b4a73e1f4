/**
 * Platform pieces that need only web APIs (WebSocket, fetch, crypto.subtle, Web Storage): the
 * browser agent's page bundles these with the runtime. Node 20 has all but a global WebSocket,
 * so tests pass `ws`'s class, which implements the same interface.
 */
import { sha256Hex as coreSha256Hex } from '../../core/subnet-id';
import type { LocalModel } from './backend';
import { silentLogger, type Logger } from './log';
import { DEFAULT_DOWNLOAD_LIMITS, downloadVerified, type DownloadLimits, type DownloadSink } from './model-download';
import { OutboxEntry, type OutboxStore } from './outbox';
import type { ModelSource, SocketFactory } from './platform';

interface WebSocketLike {
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
type WebSocketClass = new (url: string) => WebSocketLike;

export function webSocketFactory(Ctor: WebSocketClass = (globalThis as unknown as { WebSocket: WebSocketClass }).WebSocket): SocketFactory {
  return (url, events) => {
    const ws = new Ctor(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => events.open();
    ws.onmessage = (ev) => events.message(typeof ev.data === 'string' ? ev.data : new Uint8Array(ev.data as ArrayBuffer));
    ws.onclose = (ev) => events.close(ev.code, ev.reason);
    ws.onerror = () => events.error(new Error('WebSocket error'));
    // Browsers allow only 1000 and 3000-4999 from scripts, and have no terminate.
    return { send: (data) => ws.send(data), close: (code, reason) => ws.close(code === 1000 || (code ?? 0) >= 3000 ? code : 1000, reason) };
  };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Pages outside a secure context (plain http on a LAN, a phone's browser) have no crypto.subtle.
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return coreSha256Hex(bytes);
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function memorySink(sha256: string): DownloadSink<LocalModel> {
  const chunks: Uint8Array[] = [];
  let joined: Uint8Array | null = null;
  const join = () => {
    if (!joined) {
      joined = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let offset = 0;
      for (const c of chunks) joined.set(c, (offset += c.byteLength) - c.byteLength);
    }
    return joined;
  };
  return {
    write: (chunk) => void chunks.push(chunk),
    digest: () => sha256Hex(join()),
    commit: async () => {
      const bytes = join();
      return { sha256, bytes: bytes.byteLength, path: null, read: async () => bytes };
    },
    discard: async () => void chunks.splice(0),
  };
}

export interface MemoryModelSourceOptions extends Partial<Omit<DownloadLimits, 'log'>> {
  /** Models kept in memory, least recently used dropped first. */
  maxModels?: number;
  log?: Logger;
}

/** Downloads (token, deadline, size bound, sha256) and keeps the last few models in memory. */
export function memoryModelSource(options: MemoryModelSourceOptions = {}): ModelSource {
  const limits: DownloadLimits = { ...DEFAULT_DOWNLOAD_LIMITS, ...options, log: options.log ?? silentLogger };
  const cache = new Map<string, LocalModel>();
  return {
    async get(ref, ctx) {
      const hit = cache.get(ref.sha256);
      if (hit) {
        cache.delete(ref.sha256);
        cache.set(ref.sha256, hit);
        return hit;
      }
      const model = await downloadVerified(ref, ctx, limits, async () => memorySink(ref.sha256));
      cache.set(ref.sha256, model);
      while (cache.size > (options.maxModels ?? 4)) cache.delete(cache.keys().next().value as string);
      return model;
    },
  };
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

/** OutboxStore on Web Storage (localStorage), one key per result under `prefix`. */
export function storageOutboxStore(storage: StorageLike, prefix: string): OutboxStore {
  const keyOf = (jobId: string, attempt: number) => `${prefix}${attempt}:${jobId}`;
  return {
    async load(onBad) {
      const keys: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key?.startsWith(prefix)) keys.push(key);
      }
      const out: OutboxEntry[] = [];
      for (const key of keys) {
        let parsed;
        try {
          parsed = OutboxEntry.safeParse(JSON.parse(storage.getItem(key) ?? 'null'));
        } catch (error) {
          parsed = { success: false as const, error: error as Error };
        }
        if (parsed.success) out.push(parsed.data);
        else {
          onBad(key, parsed.error.message.slice(0, 200));
          storage.removeItem(key);
        }
      }
      return out;
    },
    save: async (entry) => storage.setItem(keyOf(entry.jobId, entry.attempt), JSON.stringify(entry)),
    remove: async (jobId, attempt) => storage.removeItem(keyOf(jobId, attempt)),
  };
}
