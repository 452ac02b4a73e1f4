/**
 * "What is the Pareto front on this device?": the device's active twin and the space's newest
 * accuracy predictor (or the labelled MACs proxy) go into the search, one run per call, stored
 * with the versions that made it. Searches run one at a time per coordinator (they are CPU-bound
 * for seconds), in arrival order.
 */
import { NotFoundError, ValidationError } from '../../core/errors';
import { createRng } from '../../core/rng';
import { SPACES, type SpaceName } from '../../core/space';
import type { Db } from '../../db/client';
import { accuracyPredictors } from '../../db/schema/accuracy';
import { twins } from '../../db/schema/twins';
import { eq } from 'drizzle-orm';
import { loadActiveTwin } from '../twins/store';
import { loadAccuracyPredictorRow } from './accuracy-store';
import type { EvolveHyperParams } from './evolve';
import { calibrationOf } from './calibration';
import { probeLatencyRange } from './feasible';
import { frontOf, getFront, saveFront, type StoredFront } from './front-store';
import { accuracyObjective, macsObjective } from './objective';
import { autoBudgets, computeFront } from './pareto';
import type { ObjectiveName } from './types';

export interface FrontParams {
  space: SpaceName;
  /** Budgets in ms; or `auto` budgets spread over the twin's latency range. */
  budgets?: readonly number[];
  auto?: number;
  objective: ObjectiveName;
  seed?: number;
  predictorVersion?: number;
  hyperParams?: Partial<EvolveHyperParams>;
  /** Search each budget at a margin learned from the twin's held-out errors (calibration.ts). */
  calibrate?: boolean;
}

export const MAX_BUDGETS = 50;

let queue: Promise<unknown> = Promise.resolve();

/** Runs `task` after every search already queued in this process. */
function serialized<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}

export async function computeDeviceFront(db: Db, device: { id: string; name: string }, params: FrontParams): Promise<StoredFront> {
  const space = SPACES[params.space];
  if ((params.budgets?.length ?? 0) === 0 && !params.auto) throw new ValidationError('give latency budgets (e.g. 10,15,20) or auto');
  if ((params.budgets?.length ?? 0) > MAX_BUDGETS || (params.auto ?? 0) > MAX_BUDGETS) throw new ValidationError(`at most ${MAX_BUDGETS} budgets per front`);
  const active = await loadActiveTwin(db, device.id, space.name);
  if (!active) {
    throw new NotFoundError(`device ${device.name} has no latency twin for ${space.name} yet: measure some subnets first (ofa-farm sweep start --device ${device.name} --space ${space.name} --count 100)`);
  }
  let predictor: Awaited<ReturnType<typeof loadAccuracyPredictorRow>> = null;
  if (params.objective === 'accuracy') {
    predictor = await loadAccuracyPredictorRow(db, params.space, params.predictorVersion);
    if (!predictor) {
      throw new NotFoundError(
        `${space.name} has no accuracy predictor${params.predictorVersion !== undefined ? ` version ${params.predictorVersion}` : ''}: ` +
          'import accuracy records and run `ofa-farm accuracy fit`, or use --objective macs (a proxy)',
      );
    }
  }
  const objective = predictor ? accuracyObjective(predictor.predictor) : macsObjective(space);
  const seed = params.seed ?? 0;
  return serialized(async () => {
    const points = (active.row.metrics.heldOutPoints ?? []) as { measured: number; predicted: number }[];
    const calibration = params.calibrate ? calibrationOf(points) : null;
    if (params.calibrate && !calibration) throw new ValidationError(`the twin of ${device.name} has too few held-out subnets to calibrate budgets; measure more subnets or search without calibration`);
    const factor = calibration?.factor ?? 1;
    let budgets = params.budgets?.length ? [...params.budgets] : null;
    if (!budgets) {
      const range = probeLatencyRange(space, active.twin, createRng(`${seed}/auto`));
      // Asked budgets whose searched (scaled) budgets start just above the smallest latency.
      budgets = autoBudgets({ min: { ...range.min, latency: range.min.latency / factor }, max: range.max }, params.auto);
    }
    const asked = [...new Set(budgets)].sort((a, b) => a - b);
    const front = computeFront({ space, latency: active.twin, objective, budgets: asked.map((b) => b * factor), seed, hyperParams: params.hyperParams });
    front.points.forEach((p, i) => (p.budget = asked[i]));
    front.calibration = calibration;
    const runId = await saveFront(db, { deviceId: device.id, twin: active.row, predictor: predictor?.row ?? null, front });
    return getFront(db, runId, { twinFamily: active.row.family, predictorLabel: predictor?.predictor.origin.label ?? null });
  });
}

/** A stored front by run id, with the labels of the twin and predictor that made it. */
export async function storedFront(db: Db, runId: number): Promise<StoredFront> {
  const front = await getFront(db, runId, { twinFamily: '', predictorLabel: null });
  const [twin] = await db.select({ family: twins.family }).from(twins).where(eq(twins.id, front.twin.id));
  let label: string | null = null;
  if (front.predictor) {
    const [row] = await db.select({ metrics: accuracyPredictors.metrics }).from(accuracyPredictors).where(eq(accuracyPredictors.id, front.predictor.id));
    label = row ? String(row.metrics.label ?? '') : null;
  }
  if (!twin) throw new NotFoundError(`the twin of search run ${runId} is gone`);
  return { ...front, twin: { ...front.twin, family: twin.family }, predictor: front.predictor ? { ...front.predictor, label: label ?? '' } : null };
}

export { frontOf };
