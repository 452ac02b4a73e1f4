/**
 * Uniform sampling, mutation and crossover of subnet configs with an explicit RNG, in the
 * reference's order and with its probabilities (shared/OFA-REFERENCE.md §1.4, §8).
 */
import type { SubnetConfig } from './config';
import type { Rng } from './rng';
import { elasticBlockCount, type SpaceDef } from './space';

/** Candidate lists; a progressive-shrinking phase narrows them (e.g. ks all, e [6], d [4]). */
export interface SampleChoices {
  ks?: readonly number[];
  e?: readonly number[];
  d?: readonly number[];
  r?: readonly number[];
}

/**
 * `sample_active_subnet` of the reference: 20 ks, then 20 e, then 5 d, each uniform from its
 * list; then the resolution.
 */
export function sampleConfig(space: SpaceDef, rng: Rng, choices: SampleChoices = {}): SubnetConfig {
  const n = elasticBlockCount(space);
  const ksList = choices.ks ?? space.kernelChoices;
  const eList = choices.e ?? space.expandChoices;
  const dList = choices.d ?? space.depthChoices;
  const rList = choices.r ?? space.resolutions;
  const ks = Array.from({ length: n }, () => rng.choice(ksList));
  const e = Array.from({ length: n }, () => rng.choice(eList));
  const d = Array.from({ length: space.stages.length }, () => rng.choice(dList));
  return { ks, e, d, r: rng.choice(rList) };
}

export interface MutationOptions {
  /** Per block (one coin for the k/e pair) and per stage (depth). Reference: 0.1. */
  archProb?: number;
  /** Reference `ofa/nas`: 0.5. */
  resolutionProb?: number;
  resolutions?: readonly number[];
}

/** One mutation of the reference evolution: resolution, then each block's (k, e), then each depth. */
export function mutateConfig(space: SpaceDef, config: SubnetConfig, rng: Rng, options: MutationOptions = {}): SubnetConfig {
  const archProb = options.archProb ?? 0.1;
  const resolutionProb = options.resolutionProb ?? 0.5;
  const out: SubnetConfig = { ks: config.ks.slice(), e: config.e.slice(), d: config.d.slice(), r: config.r };
  if (rng.next() < resolutionProb) out.r = rng.choice(options.resolutions ?? space.resolutions);
  for (let i = 0; i < out.ks.length; i++) {
    if (rng.next() < archProb) {
      out.ks[i] = rng.choice(space.kernelChoices);
      out.e[i] = rng.choice(space.expandChoices);
    }
  }
  for (let s = 0; s < out.d.length; s++) {
    if (rng.next() < archProb) out.d[s] = rng.choice(space.depthChoices);
  }
  return out;
}

/** Crossover of the reference: each ks[i], e[i], d[s] and r from either parent with p = 0.5. */
export function crossoverConfigs(a: SubnetConfig, b: SubnetConfig, rng: Rng): SubnetConfig {
  const pick = (x: number, y: number) => (rng.next() < 0.5 ? x : y);
  return {
    ks: a.ks.map((k, i) => pick(k, b.ks[i])),
    e: a.e.map((e, i) => pick(e, b.e[i])),
    d: a.d.map((d, s) => pick(d, b.d[s])),
    r: pick(a.r, b.r),
  };
}
