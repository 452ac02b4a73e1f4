/**
 * One forward pass of a subnet (elastic view or static copy) in the reference layer order:
 * stem conv-BN-act, MBConv blocks (1x1 expand-BN-act, depthwise-BN-act, SE, 1x1 project-BN,
 * identity skip), final expand conv-BN-act, global average pool, feature mix (no BN, no bias)
 * with act, dropout, classifier.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d, depthwiseConv2d, pointwise } from '../ops/conv';
import { activate, batchNorm, hSigmoid, type BnContext } from '../ops/layers';
import type { BlockT, NetT } from './net-weights';

export interface ForwardOptions {
  bn: BnContext;
  /** Dropout before the classifier (training only). */
  dropout?: { rate: number; seed: number };
}

function block(x: tf.Tensor4D, b: BlockT, bn: BnContext): tf.Tensor4D {
  const { spec } = b;
  let h = x;
  if (b.expand) h = activate(batchNorm(pointwise(h, b.expand.w), b.expand.bn, bn), spec.act);
  h = activate(batchNorm(depthwiseConv2d(h, b.depthwise.w, spec.stride), b.depthwise.bn, bn), spec.act);
  if (b.se) {
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    const squeezed = tf.relu(tf.add(tf.matMul(pooled, b.se.reduceW), b.se.reduceB)) as tf.Tensor2D;
    const gate = hSigmoid(tf.add(tf.matMul(squeezed, b.se.expandW), b.se.expandB)) as tf.Tensor2D;
    h = tf.mul(h, tf.reshape(gate, [gate.shape[0], 1, 1, gate.shape[1]])) as tf.Tensor4D;
  }
  h = batchNorm(pointwise(h, b.project.w), b.project.bn, bn);
  return spec.skip ? tf.add(h, x) : h;
}

/** Logits [N, classes] for images x [N, r, r, C]. */
export function forwardNet(net: NetT, x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor2D {
  const { arch } = net;
  let h = activate(batchNorm(conv2d(x, net.stem.w, arch.stem.stride, false), net.stem.bn, opts.bn), arch.stem.act);
  for (const b of net.blocks) h = block(h, b, opts.bn);
  h = activate(batchNorm(pointwise(h, net.finalExpand.w), net.finalExpand.bn, opts.bn), arch.head.finalExpand.act);
  let features = tf.mean(h, [1, 2]) as tf.Tensor2D;
  const mixed = tf.matMul(features, net.featureMix);
  features = (arch.head.featureMix.act === 'relu' ? tf.relu(mixed) : tf.mul(mixed, hSigmoid(mixed))) as tf.Tensor2D;
  if (opts.dropout && opts.dropout.rate > 0) features = tf.dropout(features, opts.dropout.rate, undefined, opts.dropout.seed) as tf.Tensor2D;
  return tf.add(tf.matMul(features, net.classifierW), net.classifierB) as tf.Tensor2D;
}
