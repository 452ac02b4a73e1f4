/**
 * Subnet extraction: the reference's `get_active_subnet(preserve_weight=True)` (ofa_mbv3.py,
 * DynamicMBConvLayer.get_active_subnet). The result holds the static subnet's unfolded weights:
 * - leading-channel slices of every elastic tensor (`W[:mid, :in]`, BN `[:C]`);
 * - the depthwise filter through the kernel-transform chain 7 -> 5 -> 3 (centre crop, then
 *   x·Mᵀ per channel; k=3 crops the *transformed* 5x5) as in `get_active_filter`;
 * - SE with `se_mid = make_divisible(mid // 4, 8)`: reduce `W[:se_mid, :mid]`, expand `W[:mid, :se_mid]`;
 * - BN running statistics as stored (they need recalibration for a trained subnet, §5.5);
 * - the first d blocks of every stage (from core's buildArch).
 */
import { buildArch, supernetBlockShape, type BlockSpec, type HeadSpec, type StemSpec, type SubnetArch } from '../core/arch';
import type { SubnetConfig } from '../core/config';
import { ValidationError } from '../core/errors';
import type { SpaceDef } from '../core/space';
import { elasticBlockPrefix, elementCount, kernelTransformPairs, maxKernel, type SupernetWeights } from './supernet-tensors';

export interface BnStats {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

/** A bias-free conv (OIHW) followed by BN. Arrays may be views of the supernet: treat as read-only. */
export interface ConvBn {
  weight: Float32Array;
  shape: [number, number, number, number];
  bn: BnStats;
}

export interface SeWeights {
  reduceWeight: Float32Array;
  reduceBias: Float32Array;
  expandWeight: Float32Array;
  expandBias: Float32Array;
}

export interface StemWeights {
  spec: StemSpec;
  conv: ConvBn;
}

export interface BlockWeights {
  spec: BlockSpec;
  /** The 1x1 inverted bottleneck; null when expand is 1 (block 0). */
  expand: ConvBn | null;
  depthwise: ConvBn;
  se: SeWeights | null;
  project: ConvBn;
}

export interface HeadWeights {
  spec: HeadSpec;
  finalExpand: ConvBn;
  /** 1x1 conv without BN and bias, [out, in, 1, 1]. */
  featureMix: Float32Array;
  /** Linear [out, in] plus bias. */
  classifierWeight: Float32Array;
  classifierBias: Float32Array;
}

export interface SubnetWeights {
  arch: SubnetArch;
  stem: StemWeights;
  blocks: BlockWeights[];
  head: HeadWeights;
}

/** `t[:sub0, :sub1, ...]` of a row-major tensor (a view-free copy; the tensor itself when nothing is cut). */
export function sliceLeading(data: Float32Array, full: readonly number[], sub: readonly number[]): Float32Array {
  if (full.length !== sub.length || sub.some((d, i) => d > full[i] || d < 0)) {
    throw new Error(`cannot slice shape [${sub.join(', ')}] out of [${full.join(', ')}]`);
  }
  let d = full.length - 1;
  let run = 1;
  while (d >= 0 && sub[d] === full[d]) run *= full[d--];
  if (d < 0) return data;
  run *= sub[d];
  const strides = full.map((_, i) => full.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(elementCount(sub));
  let o = 0;
  const copy = (dim: number, base: number): void => {
    if (dim === d) {
      out.set(data.subarray(base, base + run), o);
      o += run;
      return;
    }
    for (let i = 0; i < sub[dim]; i++) copy(dim + 1, base + i * strides[dim]);
  };
  copy(0, 0);
  return out;
}

/** Centre k x k crop of every channel of a [C, K*K] filter bank: rows/cols K//2-k//2 .. K//2+k//2. */
function centreCrop(filters: Float32Array, channels: number, K: number, k: number): Float32Array {
  const start = Math.floor(K / 2) - Math.floor(k / 2);
  const out = new Float32Array(channels * k * k);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < k; y++) {
      const from = c * K * K + (start + y) * K + start;
      out.set(filters.subarray(from, from + k), c * k * k + y * k);
    }
  }
  return out;
}

/** `get_active_filter(mid, k)` of DynamicSeparableConv2d with KERNEL_TRANSFORM_MODE = 1. */
export function activeDepthwiseFilter(space: SpaceDef, weights: SupernetWeights, index: number, mid: number, k: number): Float32Array {
  const prefix = `${elasticBlockPrefix(index)}.depth_conv.conv`;
  const K = maxKernel(space);
  let current = weights.tensor(`${prefix}.conv.weight`).subarray(0, mid * K * K);
  let size = K;
  if (k === K) return current;
  const pairs = kernelTransformPairs(space).sort((a, b) => b.from - a.from);
  for (const pair of pairs) {
    if (pair.from !== size || size <= k) continue;
    const n = pair.to * pair.to;
    const x = centreCrop(current, mid, size, pair.to);
    const m = weights.tensor(`${prefix}.${pair.name}`);
    const y = new Float32Array(mid * n);
    // F.linear(x, M): y_j = sum_i M[j, i] * x_i for every channel (summed in float64, stored as float32).
    for (let c = 0; c < mid; c++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += m[j * n + i] * x[c * n + i];
        y[c * n + j] = acc;
      }
    }
    current = y;
    size = pair.to;
  }
  if (size !== k) throw new ValidationError(`kernel ${k} cannot be reached from ${K} with kernel choices ${space.kernelChoices.join(', ')}`);
  return current;
}

function bnSlice(weights: SupernetWeights, prefix: string, channels: number): BnStats {
  const take = (p: string) => weights.tensor(`${prefix}.${p}`).subarray(0, channels);
  return { gamma: take('weight'), beta: take('bias'), mean: take('running_mean'), variance: take('running_var') };
}

function conv1x1(weights: SupernetWeights, name: string, full: [number, number], out: number, cin: number): Float32Array {
  return sliceLeading(weights.tensor(name), [full[0], full[1], 1, 1], [out, cin, 1, 1]);
}

export function extractStem(weights: SupernetWeights, spec: StemSpec): StemWeights {
  const s = weights.space;
  if (spec.cin !== s.inputChannels || spec.cout !== s.stem.width || spec.kernel !== s.stem.kernel) {
    throw new ValidationError(`stem ${spec.cin}->${spec.cout} k${spec.kernel} does not match the ${s.name} supernet (${s.inputChannels}->${s.stem.width} k${s.stem.kernel})`);
  }
  return {
    spec,
    conv: { weight: weights.tensor('first_conv.conv.weight'), shape: [spec.cout, spec.cin, spec.kernel, spec.kernel], bn: bnSlice(weights, 'first_conv.bn', spec.cout) },
  };
}

function extractFirstBlock(weights: SupernetWeights, spec: BlockSpec): BlockWeights {
  const s = weights.space;
  const c = s.stem.width;
  if (spec.cin !== c || spec.mid !== c || spec.cout !== s.firstBlock.width || spec.kernel !== s.firstBlock.kernel || spec.se !== s.firstBlock.se) {
    throw new ValidationError(`block 0 (${spec.cin}->${spec.cout} k${spec.kernel}) does not match the fixed first block of ${s.name}`);
  }
  const p = 'blocks.0.conv';
  const se = spec.se
    ? {
        reduceWeight: weights.tensor(`${p}.depth_conv.se.fc.reduce.weight`),
        reduceBias: weights.tensor(`${p}.depth_conv.se.fc.reduce.bias`),
        expandWeight: weights.tensor(`${p}.depth_conv.se.fc.expand.weight`),
        expandBias: weights.tensor(`${p}.depth_conv.se.fc.expand.bias`),
      }
    : null;
  return {
    spec,
    expand: null,
    depthwise: { weight: weights.tensor(`${p}.depth_conv.conv.weight`), shape: [c, 1, spec.kernel, spec.kernel], bn: bnSlice(weights, `${p}.depth_conv.bn`, c) },
    se,
    project: { weight: weights.tensor(`${p}.point_linear.conv.weight`), shape: [spec.cout, c, 1, 1], bn: bnSlice(weights, `${p}.point_linear.bn`, spec.cout) },
  };
}

function checkElasticSpec(space: SpaceDef, spec: BlockSpec, index: number): ReturnType<typeof supernetBlockShape> {
  if (!Number.isInteger(index) || index < 0 || index >= space.stages.length * Math.max(...space.depthChoices)) {
    throw new ValidationError(`block index ${index} is not an elastic block of ${space.name}`);
  }
  const shape = supernetBlockShape(space, index);
  const problems: string[] = [];
  if (spec.cin < 1 || spec.cin > shape.cin) problems.push(`cin ${spec.cin} (supernet has ${shape.cin})`);
  if (spec.cout !== shape.cout) problems.push(`cout ${spec.cout} (supernet has ${shape.cout})`);
  if (spec.mid < 1 || spec.mid > shape.maxMid) problems.push(`mid ${spec.mid} (supernet has at most ${shape.maxMid})`);
  if (!space.kernelChoices.includes(spec.kernel)) problems.push(`kernel ${spec.kernel} (choices ${space.kernelChoices.join(', ')})`);
  if (spec.se !== shape.maxSeMid > 0) problems.push(`se ${spec.se} (the supernet block ${shape.maxSeMid > 0 ? 'has' : 'has no'} SE)`);
  if (spec.se && (spec.seMid < 1 || spec.seMid > shape.maxSeMid)) problems.push(`seMid ${spec.seMid} (supernet has at most ${shape.maxSeMid})`);
  if (problems.length > 0) throw new ValidationError(`block ${index} of ${space.name} cannot have ${problems.join(', ')}`);
  return shape;
}

/** One block of a subnet, sliced out of the supernet (`spec` from core's buildArch). */
export function extractBlock(weights: SupernetWeights, spec: BlockSpec): BlockWeights {
  if (spec.elasticIndex === null) return extractFirstBlock(weights, spec);
  const space = weights.space;
  const index = spec.elasticIndex;
  const shape = checkElasticSpec(space, spec, index);
  const p = elasticBlockPrefix(index);
  const { cin, mid, cout, kernel: k } = spec;
  const expand =
    spec.expand === 1
      ? null
      : {
          weight: conv1x1(weights, `${p}.inverted_bottleneck.conv.conv.weight`, [shape.maxMid, shape.cin], mid, cin),
          shape: [mid, cin, 1, 1] as [number, number, number, number],
          bn: bnSlice(weights, `${p}.inverted_bottleneck.bn.bn`, mid),
        };
  const se = spec.se
    ? {
        reduceWeight: conv1x1(weights, `${p}.depth_conv.se.fc.reduce.weight`, [shape.maxSeMid, shape.maxMid], spec.seMid, mid),
        reduceBias: weights.tensor(`${p}.depth_conv.se.fc.reduce.bias`).subarray(0, spec.seMid),
        expandWeight: conv1x1(weights, `${p}.depth_conv.se.fc.expand.weight`, [shape.maxMid, shape.maxSeMid], mid, spec.seMid),
        expandBias: weights.tensor(`${p}.depth_conv.se.fc.expand.bias`).subarray(0, mid),
      }
    : null;
  return {
    spec,
    expand,
    depthwise: { weight: activeDepthwiseFilter(space, weights, index, mid, k), shape: [mid, 1, k, k], bn: bnSlice(weights, `${p}.depth_conv.bn.bn`, mid) },
    se,
    project: {
      weight: conv1x1(weights, `${p}.point_linear.conv.conv.weight`, [shape.cout, shape.maxMid], cout, mid),
      shape: [cout, mid, 1, 1],
      bn: bnSlice(weights, `${p}.point_linear.bn.bn`, cout),
    },
  };
}

export function extractHead(weights: SupernetWeights, spec: HeadSpec): HeadWeights {
  const s = weights.space;
  const last = s.stages[s.stages.length - 1].width;
  const { finalExpand: fe, featureMix: fm, classifier: cl } = spec;
  if (fe.cin !== last || fe.cout !== s.finalExpand.width || fm.cin !== fe.cout || fm.cout !== s.featureMix.width || cl.cin !== fm.cout || cl.cout !== s.numClasses) {
    throw new ValidationError(`head ${fe.cin}->${fe.cout}->${fm.cout}->${cl.cout} does not match the ${s.name} supernet (${last}->${s.finalExpand.width}->${s.featureMix.width}->${s.numClasses})`);
  }
  return {
    spec,
    finalExpand: { weight: weights.tensor('final_expand_layer.conv.weight'), shape: [fe.cout, fe.cin, 1, 1], bn: bnSlice(weights, 'final_expand_layer.bn', fe.cout) },
    featureMix: weights.tensor('feature_mix_layer.conv.weight'),
    classifierWeight: weights.tensor('classifier.linear.weight'),
    classifierBias: weights.tensor('classifier.linear.bias'),
  };
}

/** The whole subnet of `config`: get_active_subnet of the reference, weights unfolded. */
export function extractSubnet(weights: SupernetWeights, config: SubnetConfig): SubnetWeights {
  const arch = buildArch(weights.space, config);
  return {
    arch,
    stem: extractStem(weights, arch.stem),
    blocks: arch.blocks.map((b) => extractBlock(weights, b)),
    head: extractHead(weights, arch.head),
  };
}
