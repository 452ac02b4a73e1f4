import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../core/errors';
import { mapDbError } from '../../db/errors';
import { putArtifact, getArtifact } from '../../db/queries/artifacts';
import { getDevice, markDeviceConnected } from '../../db/queries/devices';
import { rowsOf } from '../../db/queries/raw';
import { accuracyPredictors, accuracyRecords, devices, paretoPoints, searchRuns, subnets, twins } from '../../db/schema/index';
import { describeEachDb } from '../helpers/databases';
import { seedDevice, seedSubnets } from '../helpers/db-fixtures';

describeEachDb('db schema', (getDb) => {
  it('stores jsonb as objects, timestamps with time zone, and derives the host key', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    expect(device.hostKey).toBe(`device:${device.id}`);
    const description = { model: 'box', cpu: 'x86', cores: 2, memoryBytes: 1e9, os: 'linux', runtime: 'ort', runtimeVersion: '1', executionProviders: ['cpu'], threads: 2, specs: { a: 1 } };
    const at = new Date('2030-01-02T03:04:05.678Z');
    await markDeviceConnected(db, device.id, { description, agentVersion: '0.1.0', reportedHost: 'rack-1', now: at });
    const back = await getDevice(db, device.id);
    expect(back?.description).toEqual(description);
    expect(back?.lastSeenAt?.toISOString()).toBe(at.toISOString());
    expect(back?.hostKey).toBe('rack-1');
    // jsonb must hold an object, not a JSON string (a classic double-encoding bug).
    const [row] = rowsOf<{ t: string }>(await db.execute(sql`select jsonb_typeof(description) as t from devices where id = ${device.id}`));
    expect(row.t).toBe('object');
  });

  it('round-trips artifact bytes and stores each sha256 once', async () => {
    const { db } = getDb();
    const [subnet] = await seedSubnets(db, 1, { seed: 99 });
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    const first = await putArtifact(db, { bytes, kind: 'subnet', space: subnet.space, subnetId: subnet.id, weights: 'seed:0' });
    const again = await putArtifact(db, { bytes, kind: 'subnet', space: subnet.space, subnetId: subnet.id, weights: 'seed:0' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.artifact.sha256).toBe(first.artifact.sha256);
    const stored = await getArtifact(db, first.artifact.sha256);
    expect(stored?.size).toBe(70_000);
    expect(Buffer.from(stored!.bytes).equals(Buffer.from(bytes))).toBe(true);
    await expect(putArtifact(db, { bytes, kind: 'subnet', space: subnet.space, weights: 'seed:0' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('stores twins, accuracy, search runs and Pareto points with their references', async () => {
    const { db } = getDb();
    const device = await seedDevice(db);
    const [subnet] = await seedSubnets(db, 1, { seed: 5 });
    const metrics = { within5: 0.9, within10: 0.99, rmspe: 0.03, kendallTau: 0.95, heldOut: 50, learningCurve: [{ n: 10, within5: 0.5, within10: 0.8, rmspe: 0.1, kendallTau: 0.7 }] };
    const [twin] = await db.insert(twins).values({ deviceId: device.id, space: subnet.space, family: 'macs-fit', version: 1, active: true, metrics, model: { a: 1.5, b: 0.2 }, nMeasurements: 100 }).returning();
    expect(twin.metrics).toEqual(metrics);
    // One active twin per (device, space).
    const second = db.insert(twins).values({ deviceId: device.id, space: subnet.space, family: 'table-sum', version: 1, active: true, metrics, model: {}, nMeasurements: 100 });
    await expect(second).rejects.toSatisfy((e) => mapDbError(e, 'twin') instanceof ConflictError);
    await db.insert(accuracyRecords).values({ space: subnet.space, checkpointId: 'ckpt', subnetId: subnet.id, config: subnet.config, r: subnet.r, top1: 0.76, source: 'import' });
    const [predictor] = await db.insert(accuracyPredictors).values({ space: subnet.space, origin: 'trained', checkpointId: 'ckpt', version: 1, metrics: { rmse: 0.01 }, model: { w: [1, 2] }, nRecords: 1 }).returning();
    const [run] = await db
      .insert(searchRuns)
      .values({ deviceId: device.id, space: subnet.space, objective: 'accuracy', budgetsMs: [10, 15.5], twinId: twin.id, twinVersion: 1, predictorId: predictor.id, predictorVersion: 1, params: { population: 100 }, seed: 2 ** 40 })
      .returning();
    expect(run.budgetsMs).toEqual([10, 15.5]);
    expect(run.seed).toBe(2 ** 40);
    await db.insert(paretoPoints).values({ runId: run.id, budgetMs: 10, config: subnet.config, subnetId: subnet.id, macs: subnet.macs, predictedLatencyMs: 9.5, predictedAccuracy: 0.75, chosen: true });
    const points = await db.select().from(paretoPoints).where(eq(paretoPoints.runId, run.id));
    expect(points).toHaveLength(1);
    expect(points[0].config).toEqual(subnet.config);
    // accuracy must be a fraction
    await expect(db.insert(accuracyRecords).values({ space: subnet.space, checkpointId: 'ckpt2', subnetId: subnet.id, config: subnet.config, r: subnet.r, top1: 76, source: 'import' })).rejects.toSatisfy(
      (e) => mapDbError(e, 'accuracy record') instanceof ValidationError,
    );
  });

  it('keeps stored rows intact when a bad insert fails inside a transaction', async () => {
    const { db } = getDb();
    const before = await seedSubnets(db, 3, { seed: 42 });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(subnets).values({ id: 'new-one', space: 's', config: before[0].config, r: 1, macs: 1, params: 1 });
        await tx.update(subnets).set({ macs: 7 }).where(eq(subnets.id, before[0].id));
        await tx.insert(devices).values({ name: 'x', kind: 'edge', tokenHash: 'not-a-hash' });
      }),
    ).rejects.toThrow();
    const after = await db.select().from(subnets).where(eq(subnets.id, before[0].id));
    expect(after[0].macs).toBe(before[0].macs);
    expect(await db.select().from(subnets).where(eq(subnets.id, 'new-one'))).toHaveLength(0);
  });
});

describe('mapDbError', () => {
  it('passes through errors that are not from the database', () => {
    const e = new Error('x');
    expect(mapDbError(e, 'thing')).toBe(e);
  });
});
