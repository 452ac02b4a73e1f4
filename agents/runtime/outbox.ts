/**
 * Results not yet acknowledged by the coordinator. Each one is stored before it is sent, so a
 * restarted agent resends it; the coordinator stores a result once per (job, attempt), so
 * resending is always safe.
 */
import { z } from 'zod';
import { Measurement } from '../../core/measurement';
import type { Logger } from './log';

export const OutboxEntry = z.object({
  jobId: z.string().min(1).max(100),
  attempt: z.number().int().min(1),
  measurement: Measurement,
  createdAt: z.number(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

export interface OutboxStore {
  /** Every stored entry; unreadable ones are reported through `onBad` and dropped. */
  load(onBad: (what: string, error: string) => void): Promise<OutboxEntry[]>;
  save(entry: OutboxEntry): Promise<void>;
  remove(jobId: string, attempt: number): Promise<void>;
}

export function memoryOutboxStore(): OutboxStore {
  const entries = new Map<string, OutboxEntry>();
  return {
    load: async () => [...entries.values()],
    save: async (entry) => void entries.set(keyOf(entry.jobId, entry.attempt), entry),
    remove: async (jobId, attempt) => void entries.delete(keyOf(jobId, attempt)),
  };
}

const keyOf = (jobId: string, attempt: number) => `${attempt}:${jobId}`;

interface Pending {
  entry: OutboxEntry;
  lastSentAt: number | null;
}

export class Outbox {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly store: OutboxStore,
    private readonly log: Logger,
    /** Oldest entries are dropped (and logged) beyond this many. */
    private readonly maxEntries = 10_000,
  ) {}

  async load(): Promise<number> {
    const entries = await this.store.load((what, error) => this.log.warn('outbox.bad_entry', { what, error }));
    for (const entry of entries.sort((a, b) => a.createdAt - b.createdAt)) this.pending.set(keyOf(entry.jobId, entry.attempt), { entry, lastSentAt: null });
    return this.pending.size;
  }

  has(jobId: string, attempt: number): boolean {
    return this.pending.has(keyOf(jobId, attempt));
  }

  get(jobId: string, attempt: number): OutboxEntry | undefined {
    return this.pending.get(keyOf(jobId, attempt))?.entry;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Stores the entry durably, then keeps it pending until acknowledged. */
  async add(entry: OutboxEntry): Promise<void> {
    await this.store.save(entry);
    this.pending.set(keyOf(entry.jobId, entry.attempt), { entry, lastSentAt: null });
    while (this.pending.size > this.maxEntries) {
      const [oldestKey, oldest] = this.pending.entries().next().value as [string, Pending];
      this.pending.delete(oldestKey);
      await this.store.remove(oldest.entry.jobId, oldest.entry.attempt);
      this.log.warn('outbox.dropped', { jobId: oldest.entry.jobId, attempt: oldest.entry.attempt, reason: `more than ${this.maxEntries} unacknowledged results` });
    }
  }

  /** Forgets an acknowledged result; false when it was not pending. */
  async ack(jobId: string, attempt: number): Promise<boolean> {
    const key = keyOf(jobId, attempt);
    if (!this.pending.has(key)) return false;
    this.pending.delete(key);
    await this.store.remove(jobId, attempt);
    return true;
  }

  /** Entries never sent, or sent longer than `resendAfterMs` ago (all of them when 0); marks them sent. */
  due(now: number, resendAfterMs: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const item of this.pending.values()) {
      if (item.lastSentAt === null || resendAfterMs === 0 || now - item.lastSentAt >= resendAfterMs) {
        item.lastSentAt = now;
        out.push(item.entry);
      }
    }
    return out;
  }
}
