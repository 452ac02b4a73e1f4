/**
 * Objectives for the search: predicted accuracy from an accuracy predictor, or MACs as a proxy
 * ("most compute within the budget") for spaces with no accuracy data. The proxy is labelled as
 * such in every place that shows it.
 */
import { subnetCost } from '../../core/cost';
import type { SpaceDef } from '../../core/space';
import type { AccuracyPredictor } from '../../models/accuracy-predictor';
import type { Objective } from './types';

export function macsObjective(space: SpaceDef): Objective {
  return {
    name: 'macs',
    proxy: true,
    label: 'MACs (a proxy for accuracy: the most compute within the budget)',
    version: null,
    format: (score) => `${(score / 1e6).toFixed(1)} MMACs (proxy)`,
    predict: (configs) => Float64Array.from(configs, (config) => subnetCost(space, config).macs),
  };
}

export function accuracyObjective(predictor: Pick<AccuracyPredictor, 'predict' | 'origin' | 'version'>): Objective {
  return {
    name: 'accuracy',
    proxy: false,
    label: `predicted top-1 (${predictor.origin.kind}: ${predictor.origin.label})`,
    version: predictor.version,
    format: (score) => `${(100 * score).toFixed(2)}%`,
    predict: (configs) => predictor.predict(configs),
  };
}
