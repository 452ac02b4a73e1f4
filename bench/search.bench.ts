/**
 * Time to compute a 10-budget Pareto front with the reference evolution (population 100, 500
 * generations per budget) on a twin fitted from real measurements (lab fixture, ort-node-1t),
 * with the MACs proxy objective and with a reference-shape accuracy MLP (3 x 400 on the OFA
 * encoding; its weights are random: only the compute cost matters here).
 */
import type { Benchmark } from './run';
import { createRng } from '../core/rng';
import { SPACES } from '../core/space';
import { createAccuracyPredictor } from '../models/accuracy-predictor';
import { encodingLength } from '../models/accuracy-encoding';
import { createMlp } from '../models/mlp';
import { probeLatencyRange } from '../server/search/feasible';
import { accuracyObjective, macsObjective } from '../server/search/objective';
import { autoBudgets, computeFront } from '../server/search/pareto';
import type { Objective } from '../server/search/types';
import { fitTwins } from '../server/twins/fit';
import { labSamples, loadLabData } from './twin-data/lab-data';

const space = SPACES['ofa-mbv3-w1.0'];

const bench: Benchmark = {
  name: 'search: a 10-budget Pareto front (reference evolution, 100 x 500 per budget)',
  async run(ctx) {
    const data = loadLabData('ort-node-1t');
    const fitted = fitTwins({ space, device: data.device, samples: labSamples(data, 'cpu'), learningCurveSizes: [] });
    const twin = fitted.active;
    const budgets = autoBudgets(probeLatencyRange(space, twin, createRng(0)), 10);
    ctx.print(`twin: ${twin.label}; budgets (ms): ${budgets.join(', ')}`);
    const mlp = createMlp([encodingLength(space, 'ofa-onehot'), 400, 400, 400, 1], createRng(1), (l) => l < 3);
    const predictor = createAccuracyPredictor({ space: space.name, encoding: 'ofa-onehot', mlp, baseAcc: 0.75, origin: { kind: 'fitted', label: 'untrained, for timing only' } });
    const objectives: Objective[] = [macsObjective(space), accuracyObjective(predictor)];
    for (const objective of objectives) {
      const cpu0 = process.cpuUsage();
      const front = computeFront({ space, latency: twin, objective, budgets, seed: 0 });
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const { stats } = front;
      const hitRate = (s: { hits: number; misses: number }) => `${((100 * s.hits) / Math.max(1, s.hits + s.misses)).toFixed(0)}%`;
      ctx.print(
        `${objective.name.padEnd(8)} ${(stats.elapsedMs / 1000).toFixed(2)} s wall (${(cpuMs / 1000).toFixed(2)} s CPU) for 10 budgets ` +
          `(${stats.scored} subnets scored; distinct predictions: objective ${stats.objectivePredictions.misses}, latency ${stats.latencyPredictions.misses}; ` +
          `cache hits ${hitRate(stats.objectivePredictions)} / ${hitRate(stats.latencyPredictions)}; non-dominated ${front.nonDominated.length})`,
      );
      // The accuracy MLP is untrained here (timing only): its front says nothing, so only the proxy's is shown.
      if (objective.proxy) for (const p of front.points) ctx.print(`  ${p.budget.toFixed(2).padStart(6)} ms -> ${p.latency.toFixed(2)} ms, ${objective.format(p.score)}`);
    }
  },
};

export default bench;
