/**
 * Heartbeats, written in batches: each device's latest sign of life (online or busy) is kept in
 * memory and flushed every `flushMs` as one UPDATE per status. With a thousand agents beating
 * every two seconds that is a few statements a second instead of five hundred; `last_seen_at`
 * lags by at most `flushMs`, far below any offline timeout.
 */
import { errorMessage } from '../../core/errors';
import type { Db } from '../../db/client';
import { touchDevices } from '../../db/queries/devices';

/** Devices per statement (a bound on the statement's size). */
const BATCH = 1000;

export class LivenessWriter {
  private pending = new Map<string, boolean>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: { flushMs: number; log: (line: string) => void },
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.opts.flushMs);
    this.timer.unref();
  }

  /** A sign of life, written with the next flush. */
  mark(deviceId: string, busy: boolean): void {
    this.pending.set(deviceId, busy);
  }

  /** The device went offline: a sign of life still waiting must not bring it back. */
  forget(deviceId: string): void {
    this.pending.delete(deviceId);
  }

  /** Writes what is pending; concurrent calls share the flush in progress. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    for (const busy of [false, true]) {
      const ids = [...batch].filter(([, b]) => b === busy).map(([id]) => id);
      for (let i = 0; i < ids.length; i += BATCH) {
        try {
          await touchDevices(this.db, ids.slice(i, i + BATCH), { status: busy ? 'busy' : 'online' });
        } catch (error) {
          // The database is down: keep the newest marks for the next flush (bounded by the device count).
          for (const id of ids.slice(i)) if (!this.pending.has(id)) this.pending.set(id, busy);
          this.opts.log(`heartbeats not recorded (${ids.length - i} devices): ${errorMessage(error).split('\n')[0].slice(0, 300)}`);
          break;
        }
      }
    }
  }
}
