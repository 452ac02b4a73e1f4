/**
 * Pareto fronts in the database: one search run (device, space, objective, budgets, the twin and
 * predictor versions that made it, seed, hyper-parameters) and its points: the chosen subnet per
 * budget and the non-dominated set. A verify sweep's measurements are joined back by subnet.
 */
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { SubnetConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { NotFoundError } from '../../core/errors';
import { SPACES, type SpaceName } from '../../core/space';
import type { Db } from '../../db/client';
import type { AccuracyPredictorRow } from '../../db/schema/accuracy';
import { measurements } from '../../db/schema/measurements';
import { paretoPoints, searchRuns, type SearchRunRow } from '../../db/schema/search';
import type { TwinRow } from '../../db/schema/twins';
import type { Calibration } from './calibration';
import type { ParetoFront } from './pareto';

export interface StoredPoint {
  budgetMs: number | null;
  subnetId: string;
  config: SubnetConfig;
  macs: number;
  predictedLatencyMs: number;
  /** Predicted top-1 (fraction); null for the MACs proxy objective. */
  predictedAccuracy: number | null;
  /** Median of the verify sweep's measurements of this subnet, when verified. */
  measuredLatencyMs: number | null;
  chosen: boolean;
}

export interface StoredFront {
  runId: number;
  space: string;
  objective: { name: 'accuracy' | 'macs'; proxy: boolean; label: string };
  twin: { id: number; family: string; version: number };
  predictor: { id: number; version: number; label: string } | null;
  seed: number;
  params: Record<string, unknown>;
  createdAt: string;
  /** Chosen subnet per budget, ascending budgets. */
  points: StoredPoint[];
  /** The non-dominated set of every subnet the searches scored, fastest first. */
  nonDominated: StoredPoint[];
  verify: { sweepId: number } | null;
  /** The margin budgets were searched at, when calibrated (see calibration.ts). */
  calibration: Calibration | null;
}

export async function saveFront(
  db: Db,
  input: { deviceId: string; twin: TwinRow; predictor: AccuracyPredictorRow | null; front: ParetoFront },
): Promise<number> {
  const { front } = input;
  const space = SPACES[front.space as SpaceName];
  const accuracy = front.objective.name === 'accuracy';
  return db.transaction(async (tx) => {
    const [run] = await tx
      .insert(searchRuns)
      .values({
        deviceId: input.deviceId,
        space: front.space,
        objective: front.objective.name,
        budgetsMs: front.points.map((p) => p.budget),
        twinId: input.twin.id,
        twinVersion: input.twin.version,
        predictorId: input.predictor?.id ?? null,
        predictorVersion: input.predictor?.version ?? null,
        params: {
          hyperParams: front.hyperParams,
          objectiveLabel: front.objective.label,
          latencyModel: front.latencyModel,
          stats: front.stats,
          calibration: front.calibration ?? null,
        },
        seed: front.seed,
        finishedAt: new Date(),
      })
      .returning();
    const row = (p: { id: string; config: SubnetConfig; latency: number; score: number }, budget: number | null, chosen: boolean) => ({
      runId: run.id,
      budgetMs: budget,
      config: p.config,
      subnetId: p.id,
      macs: accuracy ? subnetCost(space, p.config).macs : p.score,
      predictedLatencyMs: p.latency,
      predictedAccuracy: accuracy ? p.score : null,
      chosen,
    });
    const rows = [...front.points.map((p) => row(p, p.budget, true)), ...front.nonDominated.map((p) => row(p, null, false))];
    for (let i = 0; i < rows.length; i += 500) await tx.insert(paretoPoints).values(rows.slice(i, i + 500));
    return run.id;
  });
}

/** Marks a run as verified by a sweep (its id kept in the run's params). */
export async function attachVerifySweep(db: Db, runId: number, sweepId: number): Promise<void> {
  const [run] = await db.select().from(searchRuns).where(eq(searchRuns.id, runId));
  if (!run) throw new NotFoundError(`no search run ${runId}`);
  await db.update(searchRuns).set({ params: { ...run.params, verifySweepId: sweepId } }).where(eq(searchRuns.id, runId));
}

async function measuredBySubnet(db: Db, sweepId: number, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ subnetId: measurements.subnetId, medianMs: measurements.medianMs })
    .from(measurements)
    .where(and(eq(measurements.sweepId, sweepId), eq(measurements.counted, true), inArray(measurements.subnetId, ids), inArray(measurements.status, ['ok', 'unstable'])));
  const grouped = new Map<string, number[]>();
  for (const r of rows) if (r.subnetId && r.medianMs !== null) grouped.set(r.subnetId, [...(grouped.get(r.subnetId) ?? []), r.medianMs]);
  return new Map([...grouped].map(([id, values]) => [id, values.sort((a, b) => a - b)[Math.floor(values.length / 2)]]));
}

export async function getFront(db: Db, runId: number, meta: { twinFamily: string; predictorLabel: string | null }): Promise<StoredFront> {
  const [run] = await db.select().from(searchRuns).where(eq(searchRuns.id, runId));
  if (!run) throw new NotFoundError(`no search run ${runId}`);
  return frontOf(db, run, meta);
}

export async function frontOf(db: Db, run: SearchRunRow, meta: { twinFamily: string; predictorLabel: string | null }): Promise<StoredFront> {
  const rows = await db.select().from(paretoPoints).where(eq(paretoPoints.runId, run.id)).orderBy(asc(paretoPoints.id));
  const verifySweepId = typeof run.params.verifySweepId === 'number' ? run.params.verifySweepId : null;
  const chosenIds = rows.filter((r) => r.chosen).map((r) => r.subnetId);
  const measured = verifySweepId !== null ? await measuredBySubnet(db, verifySweepId, [...new Set(chosenIds)]) : new Map<string, number>();
  const point = (r: (typeof rows)[number]): StoredPoint => ({
    budgetMs: r.budgetMs,
    subnetId: r.subnetId,
    config: r.config,
    macs: r.macs,
    predictedLatencyMs: r.predictedLatencyMs,
    predictedAccuracy: r.predictedAccuracy,
    measuredLatencyMs: measured.get(r.subnetId) ?? r.measuredLatencyMs ?? null,
    chosen: r.chosen,
  });
  const objective = run.objective as 'accuracy' | 'macs';
  return {
    runId: run.id,
    space: run.space,
    objective: { name: objective, proxy: objective === 'macs', label: String(run.params.objectiveLabel ?? objective) },
    twin: { id: run.twinId, family: meta.twinFamily, version: run.twinVersion },
    predictor: run.predictorId !== null ? { id: run.predictorId, version: run.predictorVersion ?? 0, label: meta.predictorLabel ?? '' } : null,
    seed: run.seed,
    params: run.params,
    createdAt: run.createdAt.toISOString(),
    points: rows.filter((r) => r.chosen).map(point).sort((a, b) => (a.budgetMs ?? 0) - (b.budgetMs ?? 0)),
    nonDominated: rows.filter((r) => !r.chosen).map(point),
    verify: verifySweepId !== null ? { sweepId: verifySweepId } : null,
    calibration: (run.params.calibration as Calibration | null | undefined) ?? null,
  };
}

export async function latestRuns(db: Db, deviceId: string, space?: string, limit = 10): Promise<SearchRunRow[]> {
  return db
    .select()
    .from(searchRuns)
    .where(and(eq(searchRuns.deviceId, deviceId), space ? eq(searchRuns.space, space) : undefined))
    .orderBy(desc(searchRuns.id))
    .limit(limit);
}
