/**
 * ONNX export time of the largest and smallest subnet of every space: "cold" includes drawing the
 * seeded random supernet tensors the subnet needs, "warm" reuses a weight source that already
 * holds them (the coordinator keeps one per (space, seed)). Medians of a few runs.
 */
import { maxConfig, minConfig } from '../core/config';
import { SPACE_NAMES, SPACES } from '../core/space';
import { exportSubnet } from '../models/export';
import { randomSupernetWeights } from '../models/random-weights';
import type { Benchmark } from './run';

const RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const bench: Benchmark = {
  name: 'ONNX export (seeded random weights)',
  async run(ctx) {
    ctx.print('space           subnet       r   cold ms  warm ms    size MB  weights');
    for (const name of SPACE_NAMES) {
      const space = SPACES[name];
      for (const [label, config] of [['max K7E6D4', maxConfig(space)], ['min K3E3D2', minConfig(space)]] as const) {
        const cold: number[] = [];
        const warm: number[] = [];
        let bytes = 0;
        let weights = 0;
        for (let i = 0; i < RUNS; i++) {
          const source = randomSupernetWeights(space, i);
          let start = performance.now();
          exportSubnet({ space, config, weights: source });
          cold.push(performance.now() - start);
          start = performance.now();
          const result = exportSubnet({ space, config, weights: source });
          warm.push(performance.now() - start);
          bytes = result.bytes.length;
          weights = result.weightCount;
        }
        ctx.print(
          `${name.padEnd(15)} ${label}  ${String(config.r).padStart(3)}  ${median(cold).toFixed(0).padStart(7)}  ${median(warm).toFixed(0).padStart(7)}  ${(bytes / 1e6).toFixed(1).padStart(9)}  ${weights}`,
        );
      }
    }
  },
};

export default bench;
