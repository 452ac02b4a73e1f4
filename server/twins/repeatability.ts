/**
 * A device's noise ceiling: how well its measurements of the same subnet agree with each other
 * (re-measured subnets, anchors included). A twin judged on one measurement per subnet cannot be
 * expected to agree with the measurements better than a re-measurement does; shown next to the
 * twins' metrics, it says whether a poor twin or a noisy device is to blame.
 */
import { kendallTau } from './metrics';

export interface RemeasuredSample {
  subnetId: string;
  ms: number;
  /** When it was measured (ms since the epoch): pairs are consecutive in time. */
  at: number;
}

export interface Repeatability {
  /** Subnets measured at least twice. */
  subnets: number;
  /** Consecutive re-measurement pairs judged (a subnet measured k times gives k - 1). */
  pairs: number;
  /** Share of pairs whose second measurement is within ±5% / ±10% of the first. */
  within5: number;
  within10: number;
  rmspe: number;
  /** Kendall's τ between the first and the second measurement of each subnet; null under 5 subnets. */
  kendallTau: number | null;
}

export const MIN_TAU_SUBNETS = 5;

export function repeatability(samples: readonly RemeasuredSample[]): Repeatability | null {
  const bySubnet = new Map<string, RemeasuredSample[]>();
  for (const s of samples) if (s.ms > 0) bySubnet.set(s.subnetId, [...(bySubnet.get(s.subnetId) ?? []), s]);
  const repeated = [...bySubnet.values()].filter((list) => list.length >= 2).map((list) => [...list].sort((a, b) => a.at - b.at));
  if (repeated.length === 0) return null;
  let pairs = 0;
  let in5 = 0;
  let in10 = 0;
  let squares = 0;
  for (const list of repeated) {
    for (let i = 1; i < list.length; i++) {
      const rel = list[i].ms / list[i - 1].ms - 1;
      pairs++;
      if (Math.abs(rel) <= 0.05 + 1e-12) in5++;
      if (Math.abs(rel) <= 0.1 + 1e-12) in10++;
      squares += rel * rel;
    }
  }
  const tau = repeated.length >= MIN_TAU_SUBNETS ? kendallTau(repeated.map((l) => l[0].ms), repeated.map((l) => l[1].ms)) : null;
  return { subnets: repeated.length, pairs, within5: in5 / pairs, within10: in10 / pairs, rmspe: Math.sqrt(squares / pairs), kendallTau: tau === null || Number.isNaN(tau) ? null : tau };
}
