/**
 * Refits a device's twins when one of its sweeps completes: the coordinator hands every stored
 * result to `onResult`; when that result finished its sweep, a refit of (device, space) is queued.
 * Refits run one at a time in the background (they take seconds of CPU), a (device, space)
 * already queued is not queued twice, and a failed refit is logged, never thrown into the
 * result path.
 */
import { errorMessage } from '../../core/errors';
import type { Db } from '../../db/client';
import { getDevice } from '../../db/queries/devices';
import { getSweep } from '../../db/queries/sweeps';
import type { JobRow } from '../../db/schema/jobs';
import { refitDeviceTwins } from './store';

export interface RefitEvent {
  deviceId: string;
  deviceName: string;
  space: string;
  sweepId: number;
  version: number | null;
  active: string | null;
  error: string | null;
}

export class TwinRefitter {
  private chain: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  private readonly handledSweeps = new Set<number>();
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly opts: { log?: (line: string) => void; onRefit?: (event: RefitEvent) => void } = {},
  ) {}

  /** Call with every stored result; cheap unless the job was its sweep's last. */
  onResult(recorded: { stored: boolean; job: Pick<JobRow, 'sweepId' | 'deviceId'> }): void {
    if (!recorded.stored || this.stopped) return;
    const sweepId = recorded.job.sweepId;
    if (this.handledSweeps.has(sweepId)) return;
    void getSweep(this.db, sweepId)
      .then((sweep) => {
        if (!sweep || sweep.status !== 'done' || this.handledSweeps.has(sweepId)) return;
        this.handledSweeps.add(sweepId);
        this.schedule(sweep.deviceId, sweep.space, sweepId);
      })
      .catch((error) => this.opts.log?.(`twin refit: cannot read sweep ${sweepId}: ${errorMessage(error)}`));
  }

  /** Queues a refit of (device, space); resolves when it has run. */
  schedule(deviceId: string, space: string, sweepId = 0): Promise<void> {
    const key = `${deviceId}/${space}`;
    if (this.queued.has(key) || this.stopped) return this.chain;
    this.queued.add(key);
    this.chain = this.chain.then(async () => {
      this.queued.delete(key);
      if (this.stopped) return;
      const device = await getDevice(this.db, deviceId).catch(() => null);
      const event: RefitEvent = { deviceId, deviceName: device?.name ?? deviceId, space, sweepId, version: null, active: null, error: null };
      try {
        const fitted = await refitDeviceTwins(this.db, { deviceId, deviceName: event.deviceName, space });
        if (fitted) {
          event.version = fitted.version;
          event.active = fitted.report.active;
          const active = fitted.report.families.find((f) => f.family === fitted.report.active);
          const m = active?.heldOut ?? active?.cv;
          const quality = m ? ` (${active?.heldOut ? 'held-out' : 'cv'} ±10% ${(100 * (m.within10 ?? 0)).toFixed(0)}%, τ ${(m.kendallTau ?? 0).toFixed(2)})` : '';
          this.opts.log?.(`twin ${event.deviceName}/${space} v${fitted.version}: ${fitted.report.active} on ${fitted.report.counts.samples} subnets${quality}`);
        }
      } catch (error) {
        event.error = errorMessage(error);
        this.opts.log?.(`twin refit of ${event.deviceName}/${space} failed: ${event.error}`);
      }
      this.opts.onRefit?.(event);
    });
    return this.chain;
  }

  /** Resolves when every queued refit has run. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** No new refits; resolves after the running one. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.chain;
  }
}
