/**
 * Memoised batch predictors. Evolution re-creates the same subnets again and again (elitism,
 * crossovers of near-identical parents), and a front runs one search per budget on the same
 * predictors, so each distinct subnet is predicted once. Predictors are pure functions of the
 * config, so this changes no result, only the time. The cache is bounded.
 */
import type { SubnetConfig } from '../../core/config';
import type { SpaceDef } from '../../core/space';
import type { BatchPredictor } from './types';

const keys = new WeakMap<SubnetConfig, string>();

/**
 * Canonical key: inactive blocks masked, so configs that build the same network share it. One
 * character per value (configs are small integers); cached per config object, since the latency
 * and objective caches both ask for it.
 */
export function configKey(space: SpaceDef, config: SubnetConfig): string {
  const cached = keys.get(config);
  if (cached !== undefined) return cached;
  const depth = space.depthChoices[space.depthChoices.length - 1];
  const codes: number[] = [config.r, ...config.d];
  for (let i = 0; i < config.ks.length; i++) {
    codes.push(i % depth < config.d[Math.floor(i / depth)] ? config.ks[i] * 64 + config.e[i] : 0);
  }
  const key = String.fromCharCode(...codes);
  keys.set(config, key);
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
