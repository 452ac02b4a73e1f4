/**
 * The tensors one subnet computes with, in tfjs layouts. `elasticView` cuts them out of the
 * supernet's variables inside the gradient tape (leading-channel slices, the kernel-transform
 * chain 7 -> 5 -> 3, the first d blocks of each stage), so gradients flow back into the shared
 * weights and the transform matrices. forward.ts runs either this view or a static copy.
 */
import * as tf from '@tensorflow/tfjs';
import { buildArch, type BlockSpec, type SubnetArch } from '../../core/arch';
import type { SubnetConfig } from '../../core/config';
import { elasticBlockPrefix, kernelTransformPairs, maxKernel } from '../../models/supernet-tensors';
import type { BnParams } from '../ops/layers';
import type { SupernetParams } from './params';

export interface ConvBnT<W extends tf.Tensor = tf.Tensor> {
  w: W;
  bn: BnParams;
}

export interface BlockT {
  spec: BlockSpec;
  expand: ConvBnT<tf.Tensor2D> | null;
  depthwise: ConvBnT<tf.Tensor4D>;
  se: { reduceW: tf.Tensor2D; reduceB: tf.Tensor1D; expandW: tf.Tensor2D; expandB: tf.Tensor1D } | null;
  project: ConvBnT<tf.Tensor2D>;
}

export interface NetT {
  arch: SubnetArch;
  stem: ConvBnT<tf.Tensor4D>;
  blocks: BlockT[];
  finalExpand: ConvBnT<tf.Tensor2D>;
  featureMix: tf.Tensor2D;
  classifierW: tf.Tensor2D;
  classifierB: tf.Tensor1D;
}

function lead1(v: tf.Tensor, n: number): tf.Tensor1D {
  return (v.shape[0] === n ? v : tf.slice(v, [0], [n])) as tf.Tensor1D;
}

function lead2(v: tf.Tensor, rows: number, cols: number): tf.Tensor2D {
  return (v.shape[0] === rows && v.shape[1] === cols ? v : tf.slice(v, [0, 0], [rows, cols])) as tf.Tensor2D;
}

function bnView(p: SupernetParams, key: string, channels: number): BnParams {
  return { key, gamma: lead1(p.get(`${key}.weight`), channels), beta: lead1(p.get(`${key}.bias`), channels) };
}

/**
 * `get_active_filter(mid, k)`: the first `mid` channels of the stored K x K depthwise filter, then
 * for each step down the kernel list the centre crop times that layer's transform matrix
 * (y_j = sum_i M[j, i] x_i over the flattened crop, shared by all channels).
 */
export function activeDepthwise(p: SupernetParams, index: number, mid: number, k: number, transform = true): tf.Tensor4D {
  const prefix = `${elasticBlockPrefix(index)}.depth_conv.conv`;
  const full = p.get(`${prefix}.conv.weight`);
  const K = maxKernel(p.space);
  let current = (full.shape[2] === mid ? full : tf.slice(full, [0, 0, 0, 0], [K, K, mid, 1])) as tf.Tensor4D;
  let size = K;
  const pairs = kernelTransformPairs(p.space).sort((a, b) => b.from - a.from);
  for (const pair of pairs) {
    if (size <= k || pair.from !== size) continue;
    const start = Math.floor(size / 2) - Math.floor(pair.to / 2);
    const crop = tf.slice(current, [start, start, 0, 0], [pair.to, pair.to, mid, 1]);
    if (transform) {
      const flat = tf.reshape(crop, [pair.to * pair.to, mid]);
      current = tf.reshape(tf.matMul(p.get(`${prefix}.${pair.name}`), flat), [pair.to, pair.to, mid, 1]) as tf.Tensor4D;
    } else current = crop as tf.Tensor4D;
    size = pair.to;
  }
  if (size !== k) throw new Error(`kernel ${k} is not reachable from ${K} with choices ${p.space.kernelChoices.join(', ')}`);
  return current;
}

function elasticBlock(p: SupernetParams, spec: BlockSpec, transform: boolean): BlockT {
  const index = spec.elasticIndex!;
  const pre = elasticBlockPrefix(index);
  const { mid, cout, cin } = spec;
  return {
    spec,
    expand:
      spec.expand === 1
        ? null
        : { w: lead2(p.get(`${pre}.inverted_bottleneck.conv.conv.weight`), cin, mid), bn: bnView(p, `${pre}.inverted_bottleneck.bn.bn`, mid) },
    depthwise: { w: activeDepthwise(p, index, mid, spec.kernel, transform), bn: bnView(p, `${pre}.depth_conv.bn.bn`, mid) },
    se: spec.se
      ? {
          reduceW: lead2(p.get(`${pre}.depth_conv.se.fc.reduce.weight`), mid, spec.seMid),
          reduceB: lead1(p.get(`${pre}.depth_conv.se.fc.reduce.bias`), spec.seMid),
          expandW: lead2(p.get(`${pre}.depth_conv.se.fc.expand.weight`), spec.seMid, mid),
          expandB: lead1(p.get(`${pre}.depth_conv.se.fc.expand.bias`), mid),
        }
      : null,
    project: { w: lead2(p.get(`${pre}.point_linear.conv.conv.weight`), mid, cout), bn: bnView(p, `${pre}.point_linear.bn.bn`, cout) },
  };
}

function firstBlock(p: SupernetParams, spec: BlockSpec): BlockT {
  const pre = 'blocks.0.conv';
  return {
    spec,
    expand: null,
    depthwise: { w: p.get(`${pre}.depth_conv.conv.weight`) as tf.Tensor as tf.Tensor4D, bn: bnView(p, `${pre}.depth_conv.bn`, spec.mid) },
    se: spec.se
      ? {
          reduceW: p.get(`${pre}.depth_conv.se.fc.reduce.weight`) as tf.Tensor as tf.Tensor2D,
          reduceB: p.get(`${pre}.depth_conv.se.fc.reduce.bias`) as tf.Tensor as tf.Tensor1D,
          expandW: p.get(`${pre}.depth_conv.se.fc.expand.weight`) as tf.Tensor as tf.Tensor2D,
          expandB: p.get(`${pre}.depth_conv.se.fc.expand.bias`) as tf.Tensor as tf.Tensor1D,
        }
      : null,
    project: { w: p.get(`${pre}.point_linear.conv.weight`) as tf.Tensor as tf.Tensor2D, bn: bnView(p, `${pre}.point_linear.bn`, spec.cout) },
  };
}

/**
 * The subnet of `config` as a view of the supernet. Call inside the function being
 * differentiated (or a tidy): the slices and transformed kernels are ordinary tensors.
 * `transform: false` gives plain centre crops (the reference's KERNEL_TRANSFORM_MODE = None).
 */
export function elasticView(p: SupernetParams, config: SubnetConfig, transform = true): NetT {
  const arch = buildArch(p.space, config);
  return {
    arch,
    stem: { w: p.get('first_conv.conv.weight') as tf.Tensor as tf.Tensor4D, bn: bnView(p, 'first_conv.bn', arch.stem.cout) },
    blocks: arch.blocks.map((b) => (b.elasticIndex === null ? firstBlock(p, b) : elasticBlock(p, b, transform))),
    finalExpand: { w: p.get('final_expand_layer.conv.weight') as tf.Tensor as tf.Tensor2D, bn: bnView(p, 'final_expand_layer.bn', arch.head.finalExpand.cout) },
    featureMix: p.get('feature_mix_layer.conv.weight') as tf.Tensor as tf.Tensor2D,
    classifierW: p.get('classifier.linear.weight') as tf.Tensor as tf.Tensor2D,
    classifierB: p.get('classifier.linear.bias') as tf.Tensor as tf.Tensor1D,
  };
}
