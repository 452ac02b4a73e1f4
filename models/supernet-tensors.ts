/**
 * The supernet's parameter tensors for a space: names and shapes exactly as the reference
 * `OFAMobileNetV3(...).state_dict()` lists them (ofa_mbv3.py, dynamic_layers.py, dynamic_op.py,
 * utils/layers.py), in the same order and with PyTorch layouts (conv OIHW, linear [out, in]),
 * so a PyTorch checkpoint maps onto this list 1:1. BN running statistics are included;
 * `num_batches_tracked` is not (it carries no weights).
 *
 * Naming, as in the reference:
 * - static layers (stem, block 0, final expand, feature mix): `conv.weight`, `bn.weight`...;
 * - elastic blocks wrap every op once more (`DynamicConv2d.conv`, `DynamicBatchNorm2d.bn`), hence
 *   `inverted_bottleneck.conv.conv.weight` and `...bn.bn.running_var`;
 * - the kernel-transform matrices hang on `DynamicSeparableConv2d` itself, so they are
 *   `depth_conv.conv.7to5_matrix` (registered before its `conv.conv.weight`, smallest pair first);
 * - SE (`DynamicSE` is an `SEModule`) keeps `se.fc.reduce` / `se.fc.expand` with biases.
 */
import { seChannels, supernetBlockShape } from '../core/arch';
import { elasticBlockCount, type SpaceDef } from '../core/space';

export interface TensorSpec {
  name: string;
  shape: number[];
}

/** Read access to a full set of supernet weights (random, from a checkpoint, or a trainer's). */
export interface SupernetWeights {
  readonly space: SpaceDef;
  /** Where the weights come from, e.g. "random he_fout seed 7"; recorded in exported models. */
  readonly source: string;
  /** The full tensor (shape from `supernetTensors`); throws if the name is not a supernet tensor. */
  tensor(name: string): Float32Array;
}

function bn(prefix: string, channels: number): TensorSpec[] {
  return ['weight', 'bias', 'running_mean', 'running_var'].map((p) => ({ name: `${prefix}.${p}`, shape: [channels] }));
}

/** Kernel sizes in ascending order and the transform matrix names between neighbours ("7to5_matrix"). */
export function kernelTransformPairs(space: SpaceDef): { from: number; to: number; name: string }[] {
  const ks = [...new Set(space.kernelChoices)].sort((a, b) => a - b);
  return ks.slice(1).map((from, i) => ({ from, to: ks[i], name: `${from}to${ks[i]}_matrix` }));
}

export function maxKernel(space: SpaceDef): number {
  return Math.max(...space.kernelChoices);
}

/** `blocks.{i}` prefix of elastic block index i (0-based over the config lists): block 0 is the fixed one. */
export function elasticBlockPrefix(index: number): string {
  return `blocks.${index + 1}.conv`;
}

function staticFirstBlock(space: SpaceDef): TensorSpec[] {
  const c = space.stem.width;
  const out = space.firstBlock.width;
  const k = space.firstBlock.kernel;
  const p = 'blocks.0.conv';
  const specs: TensorSpec[] = [{ name: `${p}.depth_conv.conv.weight`, shape: [c, 1, k, k] }, ...bn(`${p}.depth_conv.bn`, c)];
  if (space.firstBlock.se) {
    const seMid = seChannels(c);
    specs.push(
      { name: `${p}.depth_conv.se.fc.reduce.weight`, shape: [seMid, c, 1, 1] },
      { name: `${p}.depth_conv.se.fc.reduce.bias`, shape: [seMid] },
      { name: `${p}.depth_conv.se.fc.expand.weight`, shape: [c, seMid, 1, 1] },
      { name: `${p}.depth_conv.se.fc.expand.bias`, shape: [c] },
    );
  }
  specs.push({ name: `${p}.point_linear.conv.weight`, shape: [out, c, 1, 1] }, ...bn(`${p}.point_linear.bn`, out));
  return specs;
}

function elasticBlock(space: SpaceDef, index: number): TensorSpec[] {
  const { cin, cout, maxMid, maxSeMid } = supernetBlockShape(space, index);
  const p = elasticBlockPrefix(index);
  const K = maxKernel(space);
  const specs: TensorSpec[] = [];
  if (Math.max(...space.expandChoices) !== 1) {
    specs.push({ name: `${p}.inverted_bottleneck.conv.conv.weight`, shape: [maxMid, cin, 1, 1] }, ...bn(`${p}.inverted_bottleneck.bn.bn`, maxMid));
  }
  for (const pair of kernelTransformPairs(space)) {
    specs.push({ name: `${p}.depth_conv.conv.${pair.name}`, shape: [pair.to * pair.to, pair.to * pair.to] });
  }
  specs.push({ name: `${p}.depth_conv.conv.conv.weight`, shape: [maxMid, 1, K, K] }, ...bn(`${p}.depth_conv.bn.bn`, maxMid));
  if (maxSeMid > 0) {
    specs.push(
      { name: `${p}.depth_conv.se.fc.reduce.weight`, shape: [maxSeMid, maxMid, 1, 1] },
      { name: `${p}.depth_conv.se.fc.reduce.bias`, shape: [maxSeMid] },
      { name: `${p}.depth_conv.se.fc.expand.weight`, shape: [maxMid, maxSeMid, 1, 1] },
      { name: `${p}.depth_conv.se.fc.expand.bias`, shape: [maxMid] },
    );
  }
  specs.push({ name: `${p}.point_linear.conv.conv.weight`, shape: [cout, maxMid, 1, 1] }, ...bn(`${p}.point_linear.bn.bn`, cout));
  return specs;
}

const cache = new Map<string, readonly TensorSpec[]>();

/**
 * Every parameter tensor of the space's supernet in state_dict order.
 * @example supernetTensors(SPACES['ofa-mbv3-w1.0'])[0] // {name: 'first_conv.conv.weight', shape: [16, 3, 3, 3]}
 */
export function supernetTensors(space: SpaceDef): readonly TensorSpec[] {
  const cached = cache.get(space.name);
  if (cached) return cached;
  const stem = space.stem;
  const last = space.stages[space.stages.length - 1].width;
  const fe = space.finalExpand.width;
  const fm = space.featureMix.width;
  const specs: TensorSpec[] = [
    { name: 'first_conv.conv.weight', shape: [stem.width, space.inputChannels, stem.kernel, stem.kernel] },
    ...bn('first_conv.bn', stem.width),
    ...staticFirstBlock(space),
  ];
  for (let i = 0; i < elasticBlockCount(space); i++) specs.push(...elasticBlock(space, i));
  specs.push(
    { name: 'final_expand_layer.conv.weight', shape: [fe, last, 1, 1] },
    ...bn('final_expand_layer.bn', fe),
    { name: 'feature_mix_layer.conv.weight', shape: [fm, fe, 1, 1] },
    { name: 'classifier.linear.weight', shape: [space.numClasses, fm] },
    { name: 'classifier.linear.bias', shape: [space.numClasses] },
  );
  const frozen = Object.freeze(specs.map((s) => Object.freeze({ name: s.name, shape: Object.freeze(s.shape) as number[] })));
  cache.set(space.name, frozen);
  return frozen;
}

/** Name -> shape lookup of `supernetTensors`. */
export function supernetTensorShapes(space: SpaceDef): ReadonlyMap<string, readonly number[]> {
  return new Map(supernetTensors(space).map((s) => [s.name, s.shape]));
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Total number of float values in the supernet (running statistics and kernel matrices included). */
export function supernetSize(space: SpaceDef): number {
  return supernetTensors(space).reduce((sum, s) => sum + elementCount(s.shape), 0);
}
