/**
 * The reference evolutionary search (ofa/nas/search_algorithm/evolution.py; OFA-REFERENCE §8),
 * pure and seeded: population 100, 500 generations, the top 25% are parents (elitism), 50% of the
 * children are mutations (arch prob 0.1 per block pair and per stage depth, resolution prob 0.5)
 * and the rest crossovers; a hard latency constraint by rejection, bounded (see feasible.ts).
 * Latency and objective are predicted for whole batches at once.
 *
 * One deliberate difference: the reference reads the best only at the top of a generation, so
 * the last generation's children are never considered; here they are.
 */
import type { SubnetConfig } from '../../core/config';
import { DeadlineError } from '../../core/errors';
import type { Rng } from '../../core/rng';
import { crossoverConfigs, mutateConfig } from '../../core/sample';
import type { SpaceDef } from '../../core/space';
import { assertFeasible, feasibleChildren, initialPopulation, probeLatencyRange, type LatencyRange, type RedrawStats } from './feasible';
import type { BatchPredictor, Candidate } from './types';

export interface EvolveHyperParams {
  populationSize: number;
  generations: number;
  parentRatio: number;
  mutationRatio: number;
  archMutateProb: number;
  resolutionMutateProb: number;
  /** Redraw rounds before a child falls back to a feasible parent. */
  maxRedrawRounds: number;
}

export const REFERENCE_HYPER_PARAMS: EvolveHyperParams = {
  populationSize: 100,
  generations: 500,
  parentRatio: 0.25,
  mutationRatio: 0.5,
  archMutateProb: 0.1,
  resolutionMutateProb: 0.5,
  maxRedrawRounds: 30,
};

export interface EvolveOptions extends Partial<EvolveHyperParams> {
  space: SpaceDef;
  /** Predicted latency in ms (or any cost with `budget` in the same unit). */
  latency: BatchPredictor;
  /** Higher is better (predicted accuracy, or MACs as a proxy). */
  objective: BatchPredictor;
  budget: number;
  rng: Rng;
  /** Resolutions the search may use; default: the space's grid. */
  resolutions?: readonly number[];
  /** Precomputed latency range of the space (fronts probe it once for all budgets). */
  range?: LatencyRange;
  /** Every scored candidate, as one batch per generation (Pareto archives listen here). */
  onScored?: (configs: readonly SubnetConfig[], latencies: ArrayLike<number>, scores: ArrayLike<number>) => void;
  onGeneration?: (generation: number, best: Candidate) => void;
  signal?: AbortSignal;
}

export interface EvolveResult {
  best: Candidate;
  /** Best score after each generation. */
  history: number[];
  /** Configs scored by the objective (population draws and children). */
  scored: number;
  redraws: RedrawStats;
  hyperParams: EvolveHyperParams;
}

function scorePopulation(
  configs: SubnetConfig[],
  latencies: ArrayLike<number>,
  objective: BatchPredictor,
  onScored: EvolveOptions['onScored'],
): Candidate[] {
  const scores = objective.predict(configs);
  onScored?.(configs, latencies, scores);
  return configs.map((config, i) => ({ config, latency: latencies[i], score: scores[i] }));
}

const byScore = (a: Candidate, b: Candidate) => b.score - a.score || a.latency - b.latency;

export function evolve(options: EvolveOptions): EvolveResult {
  const hp: EvolveHyperParams = { ...REFERENCE_HYPER_PARAMS };
  for (const key of Object.keys(REFERENCE_HYPER_PARAMS) as (keyof EvolveHyperParams)[]) {
    const value = options[key];
    if (value !== undefined) hp[key] = value;
  }
  if (!Number.isInteger(hp.populationSize) || hp.populationSize < 2) throw new RangeError(`populationSize must be an integer >= 2, got ${hp.populationSize}`);
  if (!Number.isInteger(hp.generations) || hp.generations < 0) throw new RangeError(`generations must be a non-negative integer, got ${hp.generations}`);
  const { space, latency, objective, budget, rng } = options;
  const resolutions = options.resolutions ?? space.resolutions;
  const range = options.range ?? probeLatencyRange(space, latency, rng.fork('probe'), resolutions);
  assertFeasible(space, budget, range);

  const P = hp.populationSize;
  const nParents = Math.max(1, Math.round(hp.parentRatio * P));
  const nMutations = Math.round(hp.mutationRatio * P);
  const mutation = { archProb: hp.archMutateProb, resolutionProb: hp.resolutionMutateProb, resolutions };
  const mutate = (c: SubnetConfig) => mutateConfig(space, c, rng, mutation);
  const redraws: RedrawStats = { rejected: 0, fallbacks: 0 };

  const init = initialPopulation(space, P, latency, budget, rng, range, { resolutions, maxRounds: hp.maxRedrawRounds, mutate }, redraws);
  let population = scorePopulation(init.configs, init.latencies, objective, options.onScored);
  let scored = population.length;
  let best = population.slice().sort(byScore)[0];
  const history: number[] = [];

  for (let generation = 0; generation < hp.generations; generation++) {
    if (options.signal?.aborted) throw new DeadlineError(`search stopped after ${generation} generations: ${String(options.signal.reason ?? 'aborted')}`);
    const parents = population.sort(byScore).slice(0, nParents);
    if (byScore(parents[0], best) < 0) best = parents[0];

    const mutantParents = Array.from({ length: nMutations }, () => parents[rng.int(nParents)]);
    const mutants = feasibleChildren(
      nMutations,
      (i) => mutate(mutantParents[i].config),
      (i) => mutantParents[i],
      latency,
      budget,
      hp.maxRedrawRounds,
      redraws,
    );
    const nCross = P - nMutations;
    const pairs = Array.from({ length: nCross }, () => [parents[rng.int(nParents)], parents[rng.int(nParents)]] as const);
    const crosses = feasibleChildren(
      nCross,
      (i) => crossoverConfigs(pairs[i][0].config, pairs[i][1].config, rng),
      (i) => pairs[i][0],
      latency,
      budget,
      hp.maxRedrawRounds,
      redraws,
    );
    const children = scorePopulation(
      [...mutants.configs, ...crosses.configs],
      [...mutants.latencies, ...crosses.latencies],
      objective,
      options.onScored,
    );
    scored += children.length;
    population = [...parents, ...children];
    const top = children.reduce((a, b) => (byScore(a, b) <= 0 ? a : b));
    if (byScore(top, best) < 0) best = top;
    history.push(best.score);
    options.onGeneration?.(generation, best);
  }
  return { best, history, scored, redraws, hyperParams: hp };
}
