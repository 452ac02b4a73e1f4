/**
 * An incremental Pareto archive over (latency: lower is better, score: higher is better). Kept
 * sorted by latency with strictly increasing scores, so the best subnet within any budget is the
 * last point at or under it: the archive of all searches answers every budget of a front.
 */
import type { Candidate } from './types';

export class ParetoArchive {
  private readonly points: Candidate[] = [];

  /** Index of the last point with latency <= value, or -1. */
  private lastAtOrBelow(value: number): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid].latency <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Adds a candidate unless an archived one is at least as fast and at least as good. */
  add(candidate: Candidate): boolean {
    if (!Number.isFinite(candidate.latency) || !Number.isFinite(candidate.score)) return false;
    const at = this.lastAtOrBelow(candidate.latency);
    if (at >= 0 && this.points[at].score >= candidate.score) return false;
    // A point as fast but worse is dominated by the candidate, as are slower ones no better.
    const start = at >= 0 && this.points[at].latency === candidate.latency ? at : at + 1;
    let end = at + 1;
    while (end < this.points.length && this.points[end].score <= candidate.score) end++;
    this.points.splice(start, end - start, candidate);
    return true;
  }

  addBatch(configs: readonly Candidate['config'][], latencies: ArrayLike<number>, scores: ArrayLike<number>): void {
    for (let i = 0; i < configs.length; i++) this.add({ config: configs[i], latency: latencies[i], score: scores[i] });
  }

  /** The highest-scoring archived candidate with latency <= budget. */
  bestWithin(budget: number): Candidate | null {
    const at = this.lastAtOrBelow(budget);
    return at >= 0 ? this.points[at] : null;
  }

  /** The non-dominated set, fastest first. */
  list(): Candidate[] {
    return this.points.slice();
  }

  get size(): number {
    return this.points.length;
  }
}
