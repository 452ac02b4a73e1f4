/**
 * Live updates for the dashboards. While at least one page listens, one cheap query a second
 * takes a fingerprint of each part of the farm (devices, sweeps and jobs, measurements, twins,
 * fronts) and tells the listeners which parts changed. Reading the database rather than hooking
 * this process's code paths also shows what other coordinators on the same database, the reaper
 * and the CLI did. `soon()` asks for a look within a moment (after a change this process knows
 * of, from its event bus), so pages on this coordinator update at once.
 */
import { sql } from 'drizzle-orm';
import { errorMessage } from '../../../core/errors';
import type { Db } from '../../../db/client';
import { rowsOf } from '../../../db/queries/raw';

export const LIVE_TOPICS = ['devices', 'sweeps', 'measurements', 'twins', 'fronts'] as const;
export type LiveTopic = (typeof LIVE_TOPICS)[number];

/** The `change` event of the stream: which topics changed since the last one. */
export interface LiveChange {
  topics: LiveTopic[];
  at: string;
}

type Fingerprint = Record<LiveTopic, string>;

const SOON_MS = 100;

const FINGERPRINT = sql`select
  (select count(*) || '/' || coalesce(max(status_since)::text, '') || '/' || count(*) filter (where status = 'busy') || '/' || count(*) filter (where status = 'online') || '/' || count(description)
     from devices where removed_at is null) as devices,
  (select count(*) || '/' || coalesce(max(id), 0) || '/' || coalesce(sum(remaining), 0) || '/' || count(*) filter (where status = 'active') || '/' || coalesce(max(finished_at)::text, '')
     from sweeps) || '/' || (select count(*) from jobs where status = 'leased') as sweeps,
  (select coalesce(max(id), 0)::text from measurements) as measurements,
  (select count(*) || '/' || coalesce(max(id), 0) from twins) as twins,
  (select count(*) || '/' || coalesce(max(id), 0) from search_runs) as fronts`;

export interface LiveFeedOptions {
  intervalMs?: number;
  log?: (line: string) => void;
}

export class LiveFeed {
  private readonly listeners = new Set<(change: LiveChange) => void>();
  private last: Fingerprint | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failing = false;
  private soonTimer: NodeJS.Timeout | null = null;
  readonly intervalMs: number;

  constructor(
    private readonly db: Db,
    private readonly opts: LiveFeedOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Listens for changes; returns the function that stops listening. */
  subscribe(listener: (change: LiveChange) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => this.nudge(), this.intervalMs);
      this.timer.unref();
      this.nudge();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        if (this.soonTimer) clearTimeout(this.soonTimer);
        this.timer = null;
        this.soonTimer = null;
        this.last = null;
      }
    };
  }

  /** A look within SOON_MS; calls in between share it (a burst of results is one look). */
  soon(): void {
    if (this.soonTimer || this.listeners.size === 0) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      void this.nudge();
    }, SOON_MS);
    this.soonTimer.unref();
  }

  /** Compares the fingerprint now (looks already in progress are shared). */
  nudge(): Promise<void> {
    this.running ??= this.look().finally(() => (this.running = null));
    return this.running;
  }

  private async look(): Promise<void> {
    if (this.listeners.size === 0) return;
    let now: Fingerprint;
    try {
      const [row] = rowsOf<Record<LiveTopic, unknown>>(await this.db.execute(FINGERPRINT));
      now = Object.fromEntries(LIVE_TOPICS.map((t) => [t, String(row?.[t] ?? '')])) as Fingerprint;
      this.failing = false;
    } catch (error) {
      // A database going away (coordinator stopping) is not worth more than one line.
      if (!this.failing) this.opts.log?.(`dashboards: live feed cannot read the database: ${errorMessage(error)}`);
      this.failing = true;
      return;
    }
    const before = this.last;
    this.last = now;
    if (!before) return;
    const topics = LIVE_TOPICS.filter((t) => before[t] !== now[t]);
    if (topics.length === 0) return;
    const change: LiveChange = { topics, at: new Date().toISOString() };
    for (const listener of this.listeners) listener(change);
  }
}
