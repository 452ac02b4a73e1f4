/**
 * The two small interfaces the search depends on (as in the reference: an efficiency model and an
 * accuracy predictor). Both are vectorised: one call scores a whole population.
 */
import type { SubnetConfig } from '../../core/config';

/** Predicts one number per config, for a whole batch at once. */
export interface BatchPredictor {
  predict(configs: readonly SubnetConfig[]): Float64Array;
}

export const OBJECTIVE_NAMES = ['accuracy', 'macs'] as const;
export type ObjectiveName = (typeof OBJECTIVE_NAMES)[number];

/** What the search maximises within a latency budget. */
export interface Objective extends BatchPredictor {
  name: ObjectiveName;
  /** True when the score stands in for accuracy (MACs: "most compute within the budget"). */
  proxy: boolean;
  /** Shown with every number the objective produces, e.g. "predicted top-1 (fitted on 800 records)". */
  label: string;
  /** Version of the predictor behind the score (accuracy predictor hash), null for analytic ones. */
  version: string | null;
  /** Formats a score for people: "76.41%" or "312.5 MMACs (proxy)". */
  format(score: number): string;
}

/** A latency model for the search: predicted milliseconds on one device. */
export interface LatencyModel extends BatchPredictor {
  /** Twin family and version, recorded with every front, e.g. "gbm@3". */
  label: string;
  version: string | null;
}

/** One evaluated subnet: its predicted latency (ms) and objective score. */
export interface Candidate {
  config: SubnetConfig;
  latency: number;
  score: number;
}
