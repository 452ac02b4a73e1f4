/**
 * The demo's last step: fit twins for every device that measured subnets of a space and print
 * each device's Pareto front (on the newest accuracy predictor of the space, or on MACs labelled
 * as a proxy when the space has none).
 *
 * @example await demoFronts(db, { space: 'ofa-mbv3-w1.0', log: console.log });
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { errorMessage } from '../../core/errors';
import type { SpaceName } from '../../core/space';
import type { Db } from '../../db/client';
import { devices } from '../../db/schema/devices';
import { measurements } from '../../db/schema/measurements';
import { refitDeviceTwins } from '../twins/store';
import { loadAccuracyPredictorRow } from './accuracy-store';
import type { StoredFront } from './front-store';
import { computeDeviceFront } from './pareto-service';

export interface DemoFrontsOptions {
  space: SpaceName;
  log: (line: string) => void;
  /** Budgets per front, spread over each twin's latency range (default 5). */
  budgets?: number;
  /** Evolution generations per budget (default: the reference's 500). */
  generations?: number;
  seed?: number;
}

/** The front as aligned text lines, the proxy labelled. */
export function frontLines(deviceName: string, front: StoredFront): string[] {
  const accuracy = front.objective.name === 'accuracy';
  const lines = [
    `Pareto front of ${deviceName} (${front.space}; twin ${front.twin.family} v${front.twin.version}; ${accuracy ? `accuracy predictor v${front.predictor?.version}` : 'objective: MACs, a PROXY for accuracy'}; run ${front.runId})`,
    `  ${'budget ms'.padStart(10)} ${'predicted ms'.padStart(13)} ${(accuracy ? 'pred. top-1' : 'MMACs (proxy)').padStart(14)} ${'r'.padStart(4)}  subnet`,
  ];
  for (const p of front.points) {
    const score = accuracy ? `${(100 * (p.predictedAccuracy ?? 0)).toFixed(2)}%` : (p.macs / 1e6).toFixed(1);
    lines.push(`  ${p.budgetMs!.toFixed(2).padStart(10)} ${p.predictedLatencyMs.toFixed(2).padStart(13)} ${score.padStart(14)} ${String(p.config.r).padStart(4)}  ${p.subnetId}`);
  }
  return lines;
}

/** Refits twins and computes one front per device with measured subnets of the space. */
export async function demoFronts(db: Db, opts: DemoFrontsOptions): Promise<{ device: string; front: StoredFront | null; error: string | null }[]> {
  const measured = await db
    .select({ id: devices.id, name: devices.name, n: sql<number>`count(*)::int` })
    .from(measurements)
    .innerJoin(devices, eq(devices.id, measurements.deviceId))
    .where(and(eq(measurements.space, opts.space), isNotNull(measurements.subnetId), eq(measurements.counted, true)))
    .groupBy(devices.id, devices.name);
  const predictor = await loadAccuracyPredictorRow(db, opts.space);
  const out: { device: string; front: StoredFront | null; error: string | null }[] = [];
  for (const device of measured) {
    try {
      const fitted = await refitDeviceTwins(db, { deviceId: device.id, deviceName: device.name, space: opts.space, seed: opts.seed ?? 0 });
      if (!fitted) {
        out.push({ device: device.name, front: null, error: `only ${device.n} measured subnets; a twin needs more` });
        opts.log(`${device.name}: only ${device.n} measured subnets of ${opts.space}, no twin yet`);
        continue;
      }
      const active = fitted.report.families.find((f) => f.family === fitted.report.active)!;
      const m = active.heldOut ?? active.cv!;
      opts.log(
        `twin of ${device.name}: ${fitted.report.active} (best of ${fitted.report.families.filter((f) => f.cv).length} families by CV) on ${fitted.report.counts.samples} subnets; ` +
          `${active.heldOut ? 'held-out' : 'cross-validated'} ±10% ${(100 * m.within10).toFixed(0)}%, ±5% ${(100 * m.within5).toFixed(0)}%, Kendall τ ${m.kendallTau.toFixed(2)}`,
      );
      const front = await computeDeviceFront(db, device, {
        space: opts.space,
        auto: opts.budgets ?? 5,
        objective: predictor ? 'accuracy' : 'macs',
        seed: opts.seed ?? 0,
        hyperParams: opts.generations !== undefined ? { generations: opts.generations } : undefined,
      });
      frontLines(device.name, front).forEach((line) => opts.log(line));
      out.push({ device: device.name, front, error: null });
    } catch (error) {
      out.push({ device: device.name, front: null, error: errorMessage(error) });
      opts.log(`${device.name}: no front: ${errorMessage(error)}`);
    }
  }
  return out;
}
