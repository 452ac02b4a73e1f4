/**
 * Periodic housekeeping, the way STF keeps device liveness: heartbeats update `last_seen_at`;
 * this reaper marks devices silent for longer than the offline timeout offline (their leased
 * jobs go back to the queue), returns expired leases to the queue (or fails them after their
 * last attempt), spawns the next run of repeating sweeps, and gives dispatch a periodic chance
 * (sweeps created by another coordinator, scheduled starts). Safe on several coordinators at once.
 * After a start or a database outage it waits one offline timeout before reaping (see healthySince).
 */
import { errorMessage } from '../../core/errors';
import type { Db } from '../../db/client';
import { reapDevices } from '../../db/queries/devices';
import { expireLeases } from '../../db/queries/queue';
import { spawnDueRepeats } from '../../db/queries/sweep-control';
import type { FarmEventBus } from '../events';
import type { Dispatcher } from '../scheduler/dispatcher';

export interface ReaperOptions {
  db: Db;
  dispatcher: Dispatcher;
  intervalMs: number;
  /** A device not heard from for this long is offline. */
  offlineAfterMs: number;
  log: (line: string) => void;
  events: FarmEventBus;
}

const EXPIRE_BATCH = 500;
/** Batches per tick; what is left waits for the next tick. */
const MAX_EXPIRE_BATCHES = 20;

export class Reaper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /**
   * Since when the database has answered (this process's start, or the end of an outage). Until
   * an offline timeout has passed since then, nobody is reaped and no lease expires: heartbeats
   * could not be recorded before, so every device would look silent, and agents that are still
   * measuring (or reconnecting to a restarted coordinator) would lose their jobs.
   */
  private healthySince = Date.now();
  private failing = false;

  constructor(private readonly opts: ReaperOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One pass; concurrent calls share the pass in progress. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async pass(): Promise<void> {
    const { db, dispatcher, log } = this.opts;
    const reaping = Date.now() - this.healthySince >= this.opts.offlineAfterMs;
    const results: boolean[] = [];
    if (reaping) results.push(await this.step('expire leases', async () => {
      for (let i = 0; i < MAX_EXPIRE_BATCHES; i++) {
        const settled = await expireLeases(db, { limit: EXPIRE_BATCH });
        for (const s of settled) log(`job ${s.job.id} attempt ${s.job.attempt}: lease expired; job ${s.outcome}`);
        dispatcher.settled(settled);
        if (settled.length < EXPIRE_BATCH) break;
      }
    }));
    if (reaping) results.push(await this.step('reap devices', async () => {
      const reaped = await reapDevices(db, { staleBefore: new Date(Date.now() - this.opts.offlineAfterMs) });
      for (const { device, released } of reaped) {
        log(`device ${device.name} offline (no heartbeat for ${this.opts.offlineAfterMs} ms)${released.length ? `; jobs ${released.map((r) => `${r.job.id} ${r.outcome}`).join(', ')}` : ''}`);
        this.opts.events.emit('device-status', { deviceId: device.id, status: 'offline' });
        dispatcher.settled(released);
      }
    }));
    results.push(await this.step('repeat sweeps', async () => {
      const created = await spawnDueRepeats(db);
      for (const sweep of created) log(`sweep ${sweep.id} scheduled for ${sweep.startAt.toISOString()} (repeat of sweep ${sweep.previousSweepId})`);
    }));
    if (results.includes(false)) this.failing = true;
    else if (this.failing) {
      this.failing = false;
      this.healthySince = Date.now();
      log(`reaper: the database answers again; devices and leases are left alone for ${this.opts.offlineAfterMs} ms while heartbeats catch up`);
    }
    dispatcher.poke();
  }

  private async step(what: string, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (error) {
      this.opts.log(`reaper: ${what} failed: ${errorMessage(error).slice(0, 500)}`);
      return false;
    }
  }
}
