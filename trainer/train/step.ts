/**
 * One optimisation step's gradient (§5.4): the same images and resolution go through every
 * subnet sampled for the step; the losses are summed, so the gradients are summed over subnets
 * (no averaging). BN runs on batch statistics, and the running statistics of each active slice
 * are updated afterwards with momentum 0.1 (PyTorch: unbiased variance), as DynamicBatchNorm2d does.
 */
import * as tf from '@tensorflow/tfjs';
import type { SubnetConfig } from '../../core/config';
import { forwardNet } from '../supernet/forward';
import { elasticView } from '../supernet/net-weights';
import type { SupernetParams } from '../supernet/params';
import { softCrossEntropy } from './loss';

export interface StepOptions {
  dropoutRate: number;
  /** Seed of the dropout masks of this step (one per subnet derived from it). */
  seed: number;
  /** Update the BN running statistics of the active slices. */
  updateRunningStats: boolean;
}

export interface StepGradients {
  /** Sum of the subnets' losses. */
  loss: number;
  perSubnet: number[];
  grads: Map<string, Float32Array>;
}

interface Recorded {
  key: string;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  count: number;
}

export function stepGradients(params: SupernetParams, x: tf.Tensor4D, target: tf.Tensor2D, configs: readonly SubnetConfig[], opts: StepOptions): StepGradients {
  const recorded: Recorded[] = [];
  const record = opts.updateRunningStats
    ? (key: string, mean: tf.Tensor1D, variance: tf.Tensor1D, count: number) => recorded.push({ key, mean: tf.keep(mean), variance: tf.keep(variance), count })
    : undefined;
  const eps = params.space.bn.eps;
  const losses: tf.Scalar[] = [];
  const vars = [...params.vars.values()].filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(() => {
    let total: tf.Scalar | null = null;
    configs.forEach((config, j) => {
      const logits = forwardNet(elasticView(params, config), x, { bn: { mode: 'batch', eps, record }, dropout: { rate: opts.dropoutRate, seed: opts.seed * 16 + j } });
      const loss = softCrossEntropy(logits, target);
      losses.push(tf.keep(loss));
      total = total ? (tf.add(total, loss) as tf.Scalar) : loss;
    });
    return total!;
  }, vars);
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(name.replace(/#\d+$/, ''), g.dataSync() as Float32Array);
  const perSubnet = losses.map((l) => l.dataSync()[0]);
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads), ...losses]);
  if (recorded.length > 0) applyRunningStats(params, recorded);
  return { loss, perSubnet, grads: out };
}

function applyRunningStats(params: SupernetParams, recorded: Recorded[]): void {
  const m = params.space.bn.momentum;
  for (const r of recorded) {
    const mean = r.mean.dataSync();
    const variance = r.variance.dataSync();
    const unbiased = r.count > 1 ? r.count / (r.count - 1) : 1;
    const rm = params.runningStat(`${r.key}.running_mean`);
    const rv = params.runningStat(`${r.key}.running_var`);
    for (let c = 0; c < mean.length; c++) {
      rm[c] = (1 - m) * rm[c] + m * mean[c];
      rv[c] = (1 - m) * rv[c] + m * variance[c] * unbiased;
    }
    r.mean.dispose();
    r.variance.dispose();
  }
}
