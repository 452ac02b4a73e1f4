/**
 * Which subnets a sweep measures, and in what order: the sampling strategies, and the anchor
 * subnet re-measured at fixed intervals so that drift (thermal throttling, a busy host) shows up
 * within a sweep and, since the anchor is the same for every sweep of a space, across days.
 * Pure: takes an Rng, returns configs.
 */
import { parseSubnetConfig, uniformConfig, type SubnetConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { ValidationError } from '../../core/errors';
import type { Rng } from '../../core/rng';
import { sampleConfig, type SampleChoices } from '../../core/sample';
import type { SpaceDef } from '../../core/space';
import { subnetId } from '../../core/subnet-id';

export const PLAN_STRATEGIES = ['random', 'macs-stratified', 'list'] as const;
export type PlanStrategy = (typeof PLAN_STRATEGIES)[number];

/** Redraws allowed per wanted subnet when a draw repeats one already chosen. */
const DRAWS_PER_SUBNET = 50;

function middle<T>(items: readonly T[]): T {
  return items[Math.floor((items.length - 1) / 2)];
}

/** The space's anchor: every block at the middle kernel, expand and depth, at the middle resolution. */
export function anchorConfig(space: SpaceDef): SubnetConfig {
  return uniformConfig(space, { k: middle(space.kernelChoices), e: middle(space.expandChoices), d: middle(space.depthChoices), r: middle(space.resolutions) });
}

/** `count` distinct uniformly sampled subnets (fewer only if the space has fewer). */
export function sampleDistinct(space: SpaceDef, count: number, rng: Rng): SubnetConfig[] {
  const seen = new Set<string>();
  const out: SubnetConfig[] = [];
  for (let draws = 0; out.length < count && draws < count * DRAWS_PER_SUBNET; draws++) {
    const config = sampleConfig(space, rng);
    const id = subnetId(space, config);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(config);
  }
  if (out.length < count) throw new ValidationError(`could only draw ${out.length} distinct subnets of ${space.name}, ${count} asked`);
  return out;
}

/** Choice lists that pull samples towards the small or the large end of a space. */
function biasedChoices(space: SpaceDef): SampleChoices[] {
  const low = <T>(xs: readonly T[], n: number) => xs.slice(0, n);
  const high = <T>(xs: readonly T[], n: number) => xs.slice(xs.length - n);
  const { kernelChoices: k, expandChoices: e, depthChoices: d } = space;
  return [
    {},
    { ks: low(k, 1), e: low(e, 1), d: low(d, 1) },
    { ks: low(k, 2), e: low(e, 2), d: low(d, 2) },
    { ks: high(k, 2), e: high(e, 2), d: high(d, 2) },
    { ks: high(k, 1), e: high(e, 1), d: high(d, 1) },
  ];
}

/**
 * Subnets spread evenly over the MACs range. Uniform sampling crowds the middle of the range and
 * leaves its ends empty, so the pool mixes uniform samples with samples drawn from the small and
 * the large choices; the range is cut into `count` equal-width MACs bins and each bin gives the
 * pool member nearest its centre that is not yet taken.
 */
export function macsStratified(space: SpaceDef, count: number, rng: Rng): SubnetConfig[] {
  const poolSize = Math.max(250, count * 20);
  const modes = biasedChoices(space);
  const pool = new Map<string, { config: SubnetConfig; macs: number }>();
  for (let i = 0; i < poolSize; i++) {
    const config = sampleConfig(space, rng, modes[i % modes.length]);
    pool.set(subnetId(space, config), { config, macs: subnetCost(space, config).macs });
  }
  const unique = [...pool.values()].sort((a, b) => a.macs - b.macs);
  if (unique.length < count) throw new ValidationError(`could only draw ${unique.length} distinct subnets of ${space.name}, ${count} asked`);
  const lo = unique[0].macs;
  const hi = unique[unique.length - 1].macs;
  const taken = new Set<number>();
  const out: SubnetConfig[] = [];
  for (let bin = 0; bin < count; bin++) {
    const centre = count === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * bin) / (count - 1);
    const best = nearestFree(unique, centre, taken);
    taken.add(best);
    out.push(unique[best].config);
  }
  return rng.shuffle(out);
}

/** Index of the untaken pool member (sorted by MACs) nearest `centre`: binary search, then outwards. */
function nearestFree(sorted: readonly { macs: number }[], centre: number, taken: ReadonlySet<number>): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].macs < centre) lo = mid + 1;
    else hi = mid;
  }
  let left = lo - 1;
  let right = lo;
  while (left >= 0 && taken.has(left)) left--;
  while (right < sorted.length && taken.has(right)) right++;
  if (left < 0 && right >= sorted.length) throw new Error('no free pool member left');
  if (left < 0) return right;
  if (right >= sorted.length) return left;
  return centre - sorted[left].macs <= sorted[right].macs - centre ? left : right;
}

/** Configs given by the user (a JSON-lines file), each validated; the line number names a bad one. */
export function listConfigs(space: SpaceDef, configs: readonly unknown[]): SubnetConfig[] {
  if (configs.length === 0) throw new ValidationError('--strategy list needs at least one config (--configs FILE, one JSON config per line)');
  return configs.map((raw, i) => {
    try {
      return parseSubnetConfig(space, raw);
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(`config ${i + 1}: ${error.message}`);
      throw error;
    }
  });
}

export interface PlannedJob {
  config: SubnetConfig;
  anchor: boolean;
}

/** Inserts the anchor first, after every `every` subnets, and last (none when every = 0). */
export function withAnchors(space: SpaceDef, configs: readonly SubnetConfig[], every: number): PlannedJob[] {
  if (every <= 0) return configs.map((config) => ({ config, anchor: false }));
  const anchor = anchorConfig(space);
  const out: PlannedJob[] = [{ config: anchor, anchor: true }];
  configs.forEach((config, i) => {
    out.push({ config, anchor: false });
    if ((i + 1) % every === 0 || i === configs.length - 1) out.push({ config: anchor, anchor: true });
  });
  return out;
}

export function planConfigs(space: SpaceDef, strategy: PlanStrategy, opts: { count?: number; configs?: readonly unknown[]; rng: Rng }): SubnetConfig[] {
  switch (strategy) {
    case 'random':
      return sampleDistinct(space, requireCount(opts.count), opts.rng);
    case 'macs-stratified':
      return macsStratified(space, requireCount(opts.count), opts.rng);
    case 'list': {
      const configs = listConfigs(space, opts.configs ?? []);
      return opts.count !== undefined ? configs.slice(0, opts.count) : configs;
    }
  }
}

function requireCount(count: number | undefined): number {
  if (count === undefined) throw new ValidationError('--count is required for this strategy');
  return count;
}
