/**
 * Pareto fronts: for each latency budget the best subnet the search finds, plus the non-dominated
 * set of everything it evaluated. One evolutionary search runs per budget (the reference's way);
 * work is shared across budgets where that changes no answer: predictions are memoised (each
 * distinct subnet is predicted once for the whole front) and every scored subnet enters one Pareto
 * archive, so a budget's answer is the best subnet found within it by any of the searches. That
 * also makes the front monotone: a larger budget never gets a worse subnet.
 */
import type { SubnetConfig } from '../../core/config';
import { InfeasibleError, ValidationError } from '../../core/errors';
import { createRng } from '../../core/rng';
import type { SpaceDef } from '../../core/space';
import { subnetId } from '../../core/subnet-id';
import { ParetoArchive } from './archive';
import { evolve, REFERENCE_HYPER_PARAMS, type EvolveHyperParams } from './evolve';
import { probeLatencyRange, type LatencyRange, type RedrawStats } from './feasible';
import type { Calibration } from './calibration';
import { memoize, type MemoStats } from './memo';
import type { LatencyModel, Objective, ObjectiveName } from './types';

export interface FrontRequest {
  space: SpaceDef;
  latency: LatencyModel;
  objective: Objective;
  /** Budgets in ms; sorted and de-duplicated. */
  budgets: readonly number[];
  seed: number;
  hyperParams?: Partial<EvolveHyperParams>;
  resolutions?: readonly number[];
  /** Called after each budget's search, in ascending budget order. */
  onBudget?: (index: number, count: number, budget: number) => void;
  signal?: AbortSignal;
  /** The non-dominated set is thinned to at most this many points, evenly over latency (default 500). */
  maxNonDominated?: number;
}

/** At most `max` points spread evenly over the list (fastest and slowest kept), plus `keep`. */
export function thin<T extends { id: string }>(points: readonly T[], max: number, keep: ReadonlySet<string>): T[] {
  if (points.length <= max) return points.slice();
  const step = (points.length - 1) / Math.max(1, max - 1);
  const picked = new Set<number>();
  for (let i = 0; i < max; i++) picked.add(Math.round(i * step));
  return points.filter((p, i) => picked.has(i) || keep.has(p.id));
}

export interface FrontSubnet {
  id: string;
  config: SubnetConfig;
  /** Predicted latency (ms) on the twin. */
  latency: number;
  /** Objective score: predicted top-1 fraction, or MACs for the proxy. */
  score: number;
}

export interface FrontPoint extends FrontSubnet {
  budget: number;
}

export interface ParetoFront {
  space: SpaceDef['name'];
  objective: { name: ObjectiveName; proxy: boolean; label: string; version: string | null };
  latencyModel: { label: string; version: string | null };
  seed: number;
  hyperParams: EvolveHyperParams;
  /** Best subnet per budget, ascending budgets. */
  points: FrontPoint[];
  /** Set when budgets were searched with a calibrated margin (the points keep the asked budgets). */
  calibration?: Calibration | null;
  /** Non-dominated (latency, score) set of every subnet the searches scored, fastest first (thinned). */
  nonDominated: FrontSubnet[];
  /** Size of the whole non-dominated set before thinning. */
  nonDominatedTotal: number;
  stats: {
    elapsedMs: number;
    scored: number;
    latencyPredictions: MemoStats;
    objectivePredictions: MemoStats;
    redraws: RedrawStats;
    range: { minMs: number; maxMs: number };
  };
}

export function normaliseBudgets(budgets: readonly number[]): number[] {
  if (budgets.length === 0) throw new ValidationError('a front needs at least one latency budget');
  const bad = budgets.filter((b) => !(Number.isFinite(b) && b > 0));
  if (bad.length > 0) throw new ValidationError(`latency budgets must be positive numbers of ms; got ${bad.join(', ')}`);
  return [...new Set(budgets)].sort((a, b) => a - b);
}

/**
 * `count` budgets spread evenly from just above the smallest predicted latency (x1.05, so the
 * search has room) to the largest, in steps of 0.01 ms or 3 significant digits where that is
 * finer (so a 0.004 ms device gets 0.0042 ms, not 0), rounded up so none falls below the smallest.
 */
export function autoBudgets(range: LatencyRange, count = 10): number[] {
  if (!Number.isInteger(count) || count < 1) throw new ValidationError(`--auto needs a positive budget count, got ${count}`);
  const lo = range.min.latency * 1.05;
  const hi = Math.max(range.max.latency, lo);
  if (count === 1) return [roundBudgetUp(hi)];
  return normaliseBudgets(Array.from({ length: count }, (_, i) => roundBudgetUp(lo + ((hi - lo) * i) / (count - 1))));
}

function roundBudgetUp(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return value;
  const exponent = Math.min(-2, Math.floor(Math.log10(value)) - 2);
  // Guard against binary noise (0.0042 / 1e-4 = 41.99999...) before rounding up.
  const steps = Math.ceil(Number((value * 10 ** -exponent).toPrecision(12)));
  return Number((steps * 10 ** exponent).toFixed(-exponent));
}

export function computeFront(request: FrontRequest): ParetoFront {
  const started = performance.now();
  const { space } = request;
  const budgets = normaliseBudgets(request.budgets);
  const resolutions = request.resolutions ?? space.resolutions;
  const latency = memoize(space, request.latency);
  const objective = memoize(space, request.objective);
  const range = probeLatencyRange(space, latency, createRng(`${request.seed}/probe`), resolutions);
  const infeasible = budgets.filter((b) => b < range.min.latency);
  if (infeasible.length > 0) {
    throw new InfeasibleError(
      `no subnet of ${space.name} fits ${infeasible.join(', ')} ms on ${request.latency.label}: ` +
        `the smallest predicted latency is ${range.min.latency.toFixed(3)} ms (r=${range.min.config.r})`,
    );
  }
  const archive = new ParetoArchive();
  const redraws: RedrawStats = { rejected: 0, fallbacks: 0 };
  let scored = 0;
  let hyperParams: EvolveHyperParams = { ...REFERENCE_HYPER_PARAMS, ...request.hyperParams };
  budgets.forEach((budget, index) => {
    const result = evolve({
      ...request.hyperParams,
      space,
      latency,
      objective,
      budget,
      rng: createRng(`${request.seed}/${budget}`),
      resolutions,
      range,
      signal: request.signal,
      onScored: (configs, latencies, scores) => archive.addBatch(configs, latencies, scores),
    });
    scored += result.scored;
    redraws.rejected += result.redraws.rejected;
    redraws.fallbacks += result.redraws.fallbacks;
    hyperParams = result.hyperParams;
    request.onBudget?.(index, budgets.length, budget);
  });
  const subnet = (c: { config: SubnetConfig; latency: number; score: number }): FrontSubnet => ({
    id: subnetId(space, c.config),
    config: c.config,
    latency: c.latency,
    score: c.score,
  });
  const points = budgets.map((budget) => {
    const best = archive.bestWithin(budget);
    // Unreachable after the feasibility check: every search scores at least its feasible population.
    if (!best) throw new InfeasibleError(`no scored subnet fits ${budget} ms`);
    return { budget, ...subnet(best) };
  });
  return {
    space: space.name,
    objective: { name: request.objective.name, proxy: request.objective.proxy, label: request.objective.label, version: request.objective.version },
    latencyModel: { label: request.latency.label, version: request.latency.version },
    seed: request.seed,
    hyperParams,
    points,
    nonDominatedTotal: archive.size,
    nonDominated: thin(archive.list().map(subnet), request.maxNonDominated ?? 500, new Set(points.map((p) => p.id))),
    stats: {
      elapsedMs: performance.now() - started,
      scored,
      latencyPredictions: latency.stats,
      objectivePredictions: objective.stats,
      redraws,
      range: { minMs: range.min.latency, maxMs: range.max.latency },
    },
  };
}
