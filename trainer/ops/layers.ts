/**
 * Activations and batch normalisation without tf.batchNorm (its gradient is slow on WASM). BN
 * either normalises with the batch statistics (training, the KD teacher in train mode, BN
 * recalibration; closed-form gradient) or with given running statistics (evaluation).
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../../core/space';

export function hSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.div(tf.relu6(tf.add(x, 3)), 6);
}

export function activate(x: tf.Tensor4D, act: Activation): tf.Tensor4D {
  return (act === 'relu' ? tf.relu(x) : tf.mul(x, hSigmoid(x))) as tf.Tensor4D;
}

/** Receives a BN layer's batch statistics (mean, biased variance) and the per-channel sample count. */
export type BnRecorder = (key: string, mean: tf.Tensor1D, variance: tf.Tensor1D, count: number) => void;

/** Running statistics for evaluation: the first `channels` entries of a layer's mean and variance. */
export type BnStatsSource = (key: string, channels: number) => { mean: Float32Array; variance: Float32Array };

export interface BnContext {
  mode: 'batch' | 'running';
  eps: number;
  record?: BnRecorder;
  stats?: BnStatsSource;
}

export interface BnParams {
  /** Layer name prefix (e.g. "blocks.3.conv.depth_conv.bn.bn"); running statistics live under it. */
  key: string;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

export function batchNorm(x: tf.Tensor4D, bn: BnParams, ctx: BnContext): tf.Tensor4D {
  const channels = x.shape[3];
  if (ctx.mode === 'running') {
    if (!ctx.stats) throw new Error('running-statistics BN needs a statistics source');
    const s = ctx.stats(bn.key, channels);
    const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(tf.tensor1d(s.variance), ctx.eps)));
    const shift = tf.sub(bn.beta, tf.mul(tf.tensor1d(s.mean), scale));
    return tf.add(tf.mul(x, scale), shift);
  }
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  const f = tf.customGrad<tf.Tensor4D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, gamma, beta, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.mean(xi, [0, 1, 2]) as tf.Tensor1D;
    const centered = tf.sub(xi, mean);
    const variance = tf.mean(tf.square(centered), [0, 1, 2]) as tf.Tensor1D;
    const invStd = tf.rsqrt(tf.add(variance, ctx.eps)) as tf.Tensor1D;
    const xhat = tf.mul(centered, invStd) as tf.Tensor4D;
    // Inside the forward: customGrad disposes its intermediates when it returns.
    ctx.record?.(bn.key, mean, variance, count);
    save([xhat, invStd, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor4D,
      // Closed-form BN backward: fewer kernels than differentiating the arithmetic above.
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xh, inv, g] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
        const dBeta = tf.sum(dy, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dy, xh), [0, 1, 2]);
        const inner = tf.sub(tf.sub(dy, tf.div(dBeta, count)), tf.mul(xh, tf.div(dGamma, count)));
        return [tf.mul(inner, tf.mul(g, inv)), dGamma, dBeta];
      },
    };
  });
  return f(x, bn.gamma, bn.beta);
}
