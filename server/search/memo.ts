/**
 * Memoised batch predictors. Evolution re-creates the same subnets again and again (elitism,
 * crossovers of near-identical parents), and a front runs one search per budget on the same
 * predictors, so each distinct subnet is predicted once. Predictors are pure functions of the
 * config, so this changes no result, only the time. The cache is bounded.
 */
import type { SubnetConfig } from '../../core/config';
import type { SpaceDef } from '../../core/space';
import type { BatchPredictor } from './types';

/** Canonical key: inactive blocks masked, so configs that build the same network share it. */
export function configKey(space: SpaceDef, config: SubnetConfig): string {
  const depth = space.depthChoices[space.depthChoices.length - 1];
  let key = `${config.r}|${config.d.join(',')}|`;
  for (let i = 0; i < config.ks.length; i++) {
    key += i % depth < config.d[Math.floor(i / depth)] ? `${config.ks[i]}${config.e[i]},` : '-,';
  }
  return key;
}

export interface MemoStats {
  hits: number;
  misses: number;
}

export interface MemoPredictor extends BatchPredictor {
  stats: MemoStats;
}

export function memoize(space: SpaceDef, inner: BatchPredictor, maxEntries = 500_000): MemoPredictor {
  const cache = new Map<string, number>();
  const stats: MemoStats = { hits: 0, misses: 0 };
  return {
    stats,
    predict(configs) {
      const out = new Float64Array(configs.length);
      const keys = configs.map((c) => configKey(space, c));
      const missing: SubnetConfig[] = [];
      const missingKeys: string[] = [];
      const seen = new Set<string>();
      keys.forEach((key, i) => {
        const hit = cache.get(key);
        if (hit !== undefined) {
          out[i] = hit;
          stats.hits++;
        } else if (!seen.has(key)) {
          seen.add(key);
          missing.push(configs[i]);
          missingKeys.push(key);
        }
      });
      if (missing.length > 0) {
        const values = inner.predict(missing);
        if (cache.size + missing.length > maxEntries) cache.clear();
        missingKeys.forEach((key, j) => cache.set(key, values[j]));
        stats.misses += missing.length;
        keys.forEach((key, i) => {
          const value = cache.get(key);
          if (value !== undefined) out[i] = value;
        });
      }
      return out;
    },
  };
}
