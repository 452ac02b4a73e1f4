/** The runtime's platform for Node agents: ws sockets, a disk model cache, a disk outbox, a fine clock. */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createDiskModelCache, type DiskModelCacheOptions } from './disk-model-cache';
import { fileOutboxStore } from './file-outbox';
import type { Logger } from './log';
import { nodeSocketFactory, type NodeSocketOptions } from './node-socket';
import type { AgentPlatform } from './platform';
import type { Clock } from './timing';

/** process.hrtime.bigint() relative to the clock's creation, in ms (ns resolution, no float loss). */
export function nodeClock(): Clock {
  const origin = process.hrtime.bigint();
  return { name: 'process.hrtime.bigint', now: () => Number(process.hrtime.bigint() - origin) / 1e6 };
}

/** ~/.cache/ofa-farm; entry points may pass $XDG_CACHE_HOME/ofa-farm instead. */
export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'ofa-farm');
}

export interface NodePlatformOptions {
  cacheDir: string;
  /** Results are kept per device token (a key derived from it), so agents sharing a cache dir never resend each other's. */
  token: string;
  log?: Logger;
  socket?: NodeSocketOptions;
  models?: Partial<Omit<DiskModelCacheOptions, 'dir' | 'log'>>;
}

export function createNodePlatform(options: NodePlatformOptions): AgentPlatform {
  const tokenKey = createHash('sha256').update(options.token).digest('hex').slice(0, 16);
  return {
    openSocket: nodeSocketFactory(options.socket),
    models: createDiskModelCache({ ...options.models, dir: join(options.cacheDir, 'models'), log: options.log }),
    outbox: fileOutboxStore(join(options.cacheDir, 'outbox', tokenKey)),
  };
}
