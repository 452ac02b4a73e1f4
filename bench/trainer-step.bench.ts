/**
 * One training step (forward, backward, SGD update; batch 64) of a subnet trained through the
 * elastic supernet (slices and kernel transforms inside the tape) next to the same subnet built
 * as a static network (its own weights, transformed kernels baked in), measured alternately so
 * both see the same machine load. Prints the backend, wall and CPU milliseconds per step.
 */
import * as tf from '@tensorflow/tfjs';
import { maxConfig, minConfig, type SubnetConfig } from '../core/config';
import { subnetCost } from '../core/cost';
import { createRng } from '../core/rng';
import { sampleConfig } from '../core/sample';
import { SPACES } from '../core/space';
import { randomSupernetWeights } from '../models/random-weights';
import { initBackend } from '../trainer/backend';
import { softCrossEntropy, softTarget } from '../trainer/train/loss';
import { Sgd } from '../trainer/train/sgd';
import { stepGradients } from '../trainer/train/step';
import { forwardNet } from '../trainer/supernet/forward';
import { SupernetParams } from '../trainer/supernet/params';
import { StaticNet } from '../trainer/supernet/static-net';
import type { BenchContext, Benchmark } from './run';

const BATCH = 64;
const ROUNDS = 4;

interface Timing {
  wall: number[];
  cpu: number[];
}

function timed(t: Timing, f: () => void): void {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  f();
  t.wall.push(performance.now() - w0);
  const c = process.cpuUsage(c0);
  t.cpu.push((c.user + c.system) / 1000);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function staticStep(net: StaticNet, sgd: Sgd, x: tf.Tensor4D, target: tf.Tensor2D): void {
  const vars = [...net.vars.values()];
  const { value, grads } = tf.variableGrads(() => softCrossEntropy(forwardNet(net.net, x, { bn: { mode: 'batch', eps: 1e-5 }, dropout: { rate: 0.1, seed: 1 } }), target), vars);
  const named = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) named.set(name.replace(/^static\//, '').replace(/#\d+$/, ''), g.dataSync() as Float32Array);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
  sgd.step(named, 0.01);
}

async function run(ctx: BenchContext): Promise<void> {
  const backend = await initBackend();
  ctx.print(`backend: ${backend.description}; batch ${BATCH}; median of ${ROUNDS} steps after one warm-up`);
  const space = SPACES['ofa-mbv3-mini'];
  const weights = randomSupernetWeights(space, 0);
  const supernet = SupernetParams.fromWeights(weights);
  const superSgd = new Sgd(supernet);
  const rng = createRng(7);
  const configs: [string, SubnetConfig][] = [
    ['max', maxConfig(space, 28)],
    ['min', minConfig(space, 28)],
    ['sampled 1', sampleConfig(space, rng, { r: [28] })],
    ['sampled 2', sampleConfig(space, rng, { r: [24] })],
  ];
  ctx.print(`${'subnet'.padEnd(10)} ${'r'.padStart(3)} ${'MMACs'.padStart(6)}   elastic wall/cpu ms   static wall/cpu ms   elastic/static (cpu)`);
  for (const [label, config] of configs) {
    const staticNet = new StaticNet(weights, config);
    const staticSgd = new Sgd(staticNet);
    const labels = Int32Array.from({ length: BATCH }, (_, i) => i % space.numClasses);
    const x = tf.randomNormal([BATCH, config.r, config.r, space.inputChannels]) as tf.Tensor4D;
    const target = softTarget(labels, space.numClasses, null, { labelSmoothing: 0.1, kdRatio: 0 });
    const elastic: Timing = { wall: [], cpu: [] };
    const fixed: Timing = { wall: [], cpu: [] };
    const elasticStep = () => superSgd.step(stepGradients(supernet, x, target, [config], { dropoutRate: 0.1, seed: 1, updateRunningStats: true }).grads, 0.01);
    elasticStep();
    staticStep(staticNet, staticSgd, x, target);
    for (let i = 0; i < ROUNDS; i++) {
      timed(elastic, elasticStep);
      timed(fixed, () => staticStep(staticNet, staticSgd, x, target));
    }
    const macs = subnetCost(space, config).macs / 1e6;
    const e = { wall: median(elastic.wall), cpu: median(elastic.cpu) };
    const s = { wall: median(fixed.wall), cpu: median(fixed.cpu) };
    ctx.print(
      `${label.padEnd(10)} ${String(config.r).padStart(3)} ${macs.toFixed(2).padStart(6)}   ${`${e.wall.toFixed(0)} / ${e.cpu.toFixed(0)}`.padStart(18)}   ${`${s.wall.toFixed(0)} / ${s.cpu.toFixed(0)}`.padStart(18)}   ${(e.cpu / s.cpu).toFixed(2).padStart(8)}x`,
    );
    tf.dispose([x, target]);
    staticNet.dispose();
  }
  supernet.dispose();
}

const bench: Benchmark = { name: 'trainer: one training step, elastic supernet vs static subnet', run };
export default bench;
