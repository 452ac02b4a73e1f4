/**
 * Periodic housekeeping, the way STF keeps device liveness: heartbeats update `last_seen_at`;
 * this reaper marks devices silent for longer than the offline timeout offline (their leased
 * jobs go back to the queue), returns expired leases to the queue (or fails them after their
 * last attempt), spawns the next run of repeating sweeps, and gives dispatch a periodic chance
 * (sweeps created by another coordinator, scheduled starts). Safe on several coordinators at once.
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
    await this.step('expire leases', async () => {
      for (let i = 0; i < MAX_EXPIRE_BATCHES; i++) {
        const settled = await expireLeases(db, { limit: EXPIRE_BATCH });
        for (const s of settled) log(`job ${s.job.id} attempt ${s.job.attempt}: lease expired; job ${s.outcome}`);
        dispatcher.settled(settled);
        if (settled.length < EXPIRE_BATCH) break;
      }
    });
    await this.step('reap devices', async () => {
      const reaped = await reapDevices(db, { staleBefore: new Date(Date.now() - this.opts.offlineAfterMs) });
      for (const { device, released } of reaped) {
        log(`device ${device.name} offline (no heartbeat for ${this.opts.offlineAfterMs} ms)${released.length ? `; jobs ${released.map((r) => `${r.job.id} ${r.outcome}`).join(', ')}` : ''}`);
        this.opts.events.emit('device-status', { deviceId: device.id, status: 'offline' });
        dispatcher.settled(released);
      }
    });
    await this.step('repeat sweeps', async () => {
      const created = await spawnDueRepeats(db);
      for (const sweep of created) log(`sweep ${sweep.id} scheduled for ${sweep.startAt.toISOString()} (repeat of sweep ${sweep.previousSweepId})`);
    });
    dispatcher.poke();
  }

  private async step(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.opts.log(`reaper: ${what} failed: ${errorMessage(error)}`);
    }
  }
}
