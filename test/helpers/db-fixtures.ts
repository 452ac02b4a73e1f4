/**
 * Small builders for database tests: a registered device, stored subnets, a sweep with jobs, and
 * measurements as an agent would report them. Real rows through the real queries.
 */
import { summarize, type Measurement } from '../../core/measurement';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES, type SpaceName } from '../../core/space';
import type { Db } from '../../db/client';
import { registerDevice } from '../../db/queries/devices';
import { upsertSubnets } from '../../db/queries/subnets';
import { createSweep, type NewSweep } from '../../db/queries/sweeps';
import { generateToken, hashToken } from '../../db/secrets';
import type { DeviceRow } from '../../db/schema/devices';
import type { SubnetRow } from '../../db/schema/subnets';
import type { SweepRow } from '../../db/schema/sweeps';

let counter = 0;
/** A name unique within this test process. */
export function uniqueName(prefix = 'dev'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export async function seedDevice(db: Db, opts: { name?: string; host?: string | null; kind?: 'edge' | 'browser' | 'android' } = {}): Promise<DeviceRow & { token: string }> {
  const token = generateToken('device');
  const device = await registerDevice(db, { name: opts.name ?? uniqueName(), kind: opts.kind ?? 'edge', host: opts.host ?? null, tokenHash: hashToken(token) });
  return { ...device, token };
}

export async function seedSubnets(db: Db, n: number, opts: { space?: SpaceName; seed?: number } = {}): Promise<SubnetRow[]> {
  const space = SPACES[opts.space ?? 'ofa-mbv3-w1.0'];
  const rng = createRng(opts.seed ?? 1);
  return upsertSubnets(db, space, Array.from({ length: n }, () => sampleConfig(space, rng)));
}

/** A sweep of `n` fresh subnets on a device (extra NewSweep fields override the defaults). */
export async function seedSweep(db: Db, deviceId: string, n: number, extra: Partial<NewSweep> & { seed?: number } = {}): Promise<{ sweep: SweepRow; subnets: SubnetRow[] }> {
  const subnets = await seedSubnets(db, n, { seed: extra.seed ?? counter++ });
  const sweep = await createSweep(db, {
    deviceId,
    space: 'ofa-mbv3-w1.0',
    strategy: 'random',
    settings: { runs: 30 },
    jobs: subnets.map((s) => ({ subnetId: s.id })),
    ...extra,
  });
  return { sweep, subnets };
}

/** An ok measurement with `runs` samples around `medianMs`. */
export function okMeasurement(medianMs = 10, runs = 30): Measurement {
  const samplesMs = Array.from({ length: runs }, (_, i) => medianMs * (1 + ((i % 5) - 2) * 0.01));
  const now = Date.now();
  return {
    status: 'ok',
    error: null,
    stats: summarize(samplesMs),
    samplesMs,
    attempts: 1,
    provenance: {
      runtime: 'onnxruntime-node',
      runtimeVersion: '1.23.2',
      executionProvider: 'cpu',
      threads: 1,
      inputShape: [1, 3, 224, 224],
      clockSource: 'process.hrtime.bigint',
      timerResolutionMs: null,
      warmupRuns: 5,
      warmupMs: 500,
      extra: {},
    },
    startedAt: now - 1000,
    finishedAt: now,
  };
}

export function failedMeasurementOf(error: string): Measurement {
  const now = Date.now();
  return { status: 'failed', error, stats: null, samplesMs: [], attempts: 1, provenance: null, startedAt: now - 10, finishedAt: now };
}
