/**
 * What the runtime needs from where it runs: sockets, a model source, outbox storage. Node
 * agents use node-platform.ts (ws, files under the cache dir); a page can supply browser ones.
 */
import type { LocalModel } from './backend';
import type { OutboxStore } from './outbox';

export interface SocketEvents {
  open(): void;
  message(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
  error(error: Error): void;
}

export interface SocketLike {
  send(data: string): void;
  /** A polite close (close frame); `terminate` drops the connection at once where supported. */
  close(code?: number, reason?: string): void;
  terminate?(): void;
}

/** Opens a socket to `url`; events arrive through `events` (no event may fire synchronously). */
export type SocketFactory = (url: string, events: SocketEvents) => SocketLike;

export interface ModelRef {
  sha256: string;
  /** A path on the coordinator, e.g. /artifacts/<sha256>. */
  url: string;
  bytes: number;
}

export interface ModelFetchContext {
  /** The coordinator's HTTP origin; model URLs must resolve to it (the token goes nowhere else). */
  baseUrl: string;
  token: string;
  signal: AbortSignal;
  onProgress?(doneBytes: number, totalBytes: number): void;
}

export interface ModelSource {
  /** The model, verified against ref.sha256; rejects with ModelFetchError. */
  get(ref: ModelRef, ctx: ModelFetchContext): Promise<LocalModel>;
}

/**
 * A model could not be had. `permanent` ones (HTTP 404, a hash that never matches, too large)
 * become failed measurements; the others (network, 5xx, timeouts) give the job back.
 */
export class ModelFetchError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ModelFetchError';
  }
}

export interface AgentPlatform {
  openSocket: SocketFactory;
  models: ModelSource;
  outbox: OutboxStore;
}

/** http(s)://host:port[/prefix] -> ws(s)://host:port[/prefix]/agent/ws */
export function agentSocketUrl(server: string): string {
  const url = new URL(server);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`server URL must be http:// or https://, got ${url.protocol}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/agent/ws`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** Resolves a model path against the coordinator, refusing any other origin. */
export function modelUrl(baseUrl: string, path: string): URL {
  const base = new URL(baseUrl);
  const url = new URL(path, base);
  if (url.origin !== base.origin) throw new ModelFetchError(`model URL ${url.origin} is not on the coordinator ${base.origin}; refusing to send the token there`, true);
  return url;
}
