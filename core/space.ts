/**
 * Search spaces, declared once as data. Everything else (sampling, validation, cost, encoding,
 * ONNX export, the trainer, the search) reads these declarations; no choice list is written twice.
 * Semantics follow the reference OFA-MobileNetV3 (`ofa_mbv3.py`); see shared/OFA-REFERENCE.md §1.
 */
export type Activation = 'relu' | 'h_swish';

export interface ConvDef {
  width: number;
  kernel: number;
  stride: number;
  act: Activation;
}

export interface StageDef {
  width: number;
  stride: number;
  act: Activation;
  se: boolean;
}

export interface SpaceDef {
  name: SpaceName;
  summary: string;
  widthMult: number;
  inputChannels: number;
  numClasses: number;
  /** Every resolution a subnet may use, ascending. */
  resolutions: readonly number[];
  kernelChoices: readonly number[];
  expandChoices: readonly number[];
  depthChoices: readonly number[];
  stem: ConvDef;
  /** The fixed first MBConv block (expand 1, identity skip when in == out). */
  firstBlock: ConvDef & { se: boolean };
  stages: readonly StageDef[];
  finalExpand: { width: number; act: Activation };
  featureMix: { width: number; act: Activation };
  /** Dropout before the classifier while training the supernet. */
  dropout: number;
  bn: { momentum: number; eps: number };
}

/** `make_divisible` of the reference (ofa/utils/pytorch_modules.py). */
export function makeDivisible(value: number, divisor = 8, minValue = divisor): number {
  const rounded = Math.max(minValue, Math.floor((value + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

const MBV3_BASE_WIDTHS = [16, 16, 24, 40, 80, 112, 160, 960, 1280] as const;
const MBV3_STRIDES = [1, 2, 2, 2, 1, 2] as const;
const MBV3_ACTS: readonly Activation[] = ['relu', 'relu', 'relu', 'h_swish', 'h_swish', 'h_swish'];
const MBV3_SE = [false, false, true, false, true, true] as const;

interface MbV3Shape {
  name: SpaceName;
  summary: string;
  widthMult: number;
  baseWidths: readonly number[];
  inputChannels: number;
  numClasses: number;
  resolutions: readonly number[];
  dropout: number;
}

function mobileNetV3Space(shape: MbV3Shape): SpaceDef {
  const w = shape.baseWidths.map((base) => makeDivisible(base * shape.widthMult, 8));
  return {
    name: shape.name,
    summary: shape.summary,
    widthMult: shape.widthMult,
    inputChannels: shape.inputChannels,
    numClasses: shape.numClasses,
    resolutions: shape.resolutions,
    kernelChoices: [3, 5, 7],
    expandChoices: [3, 4, 6],
    depthChoices: [2, 3, 4],
    stem: { width: w[0], kernel: 3, stride: 2, act: 'h_swish' },
    firstBlock: { width: w[1], kernel: 3, stride: MBV3_STRIDES[0], act: MBV3_ACTS[0], se: MBV3_SE[0] },
    stages: [1, 2, 3, 4, 5].map((i) => ({ width: w[i + 1], stride: MBV3_STRIDES[i], act: MBV3_ACTS[i], se: MBV3_SE[i] })),
    finalExpand: { width: w[7], act: 'h_swish' },
    featureMix: { width: w[8], act: 'h_swish' },
    dropout: shape.dropout,
    bn: { momentum: 0.1, eps: 1e-5 },
  };
}

export const SPACE_NAMES = ['ofa-mbv3-w1.0', 'ofa-mbv3-w1.2', 'ofa-mbv3-mini'] as const;
export type SpaceName = (typeof SPACE_NAMES)[number];

export const SPACES: Readonly<Record<SpaceName, SpaceDef>> = {
  'ofa-mbv3-w1.0': mobileNetV3Space({
    name: 'ofa-mbv3-w1.0',
    summary: 'Reference OFA-MobileNetV3 supernet, width 1.0 (ofa_mbv3_d234_e346_k357_w1.0), ImageNet 1000 classes',
    widthMult: 1.0,
    baseWidths: MBV3_BASE_WIDTHS,
    inputChannels: 3,
    numClasses: 1000,
    resolutions: range(128, 224, 4),
    dropout: 0.1,
  }),
  'ofa-mbv3-w1.2': mobileNetV3Space({
    name: 'ofa-mbv3-w1.2',
    summary: 'Reference OFA-MobileNetV3 supernet, width 1.2 (ofa_mbv3_d234_e346_k357_w1.2), ImageNet 1000 classes',
    widthMult: 1.2,
    baseWidths: MBV3_BASE_WIDTHS,
    inputChannels: 3,
    numClasses: 1000,
    resolutions: range(160, 224, 4),
    dropout: 0.1,
  }),
  // The same macro structure (stem, fixed first block, 5 stages x 4 elastic blocks, k 3/5/7,
  // e 3/4/6, d 2/3/4, final expand + feature mix) scaled down so that progressive shrinking on
  // Fashion-MNIST fits about 20 minutes on 2 CPU cores with TensorFlow.js's WASM backend.
  // Why these numbers: a 5-block MBConv net at 32x32, batch 64 measured ~3.6 s per training step
  // there, and the quick schedule needs a few hundred steps over six phases (up to 4 subnets per
  // step plus the teacher). Widths are therefore 1/4 of w1.0's (8 is the make_divisible floor)
  // and resolutions stay at or below the data's native 28x28, where every stride-2 stage still
  // leaves a spatial map (28 -> 14 -> 7 -> 4 -> 2 -> 2 -> 1).
  'ofa-mbv3-mini': mobileNetV3Space({
    name: 'ofa-mbv3-mini',
    summary: 'OFA-MobileNetV3 structure scaled down for CPU training on Fashion-MNIST (1 channel, 10 classes)',
    widthMult: 0.25,
    baseWidths: MBV3_BASE_WIDTHS,
    inputChannels: 1,
    numClasses: 10,
    resolutions: range(16, 28, 4),
    dropout: 0.1,
  }),
};

export function isSpaceName(name: string): name is SpaceName {
  return (SPACE_NAMES as readonly string[]).includes(name);
}

/** Number of elastic blocks (20 for the MobileNetV3 spaces). */
export function elasticBlockCount(space: SpaceDef): number {
  return space.stages.length * maxDepth(space);
}

export function maxDepth(space: SpaceDef): number {
  return Math.max(...space.depthChoices);
}

/** Human-readable description of a space's resolution grid, e.g. "128..224 step 4". */
export function describeResolutions(space: SpaceDef): string {
  const rs = space.resolutions;
  if (rs.length < 3) return rs.join(', ');
  const step = rs[1] - rs[0];
  const regular = rs.every((r, i) => i === 0 || r - rs[i - 1] === step);
  return regular ? `${rs[0]}..${rs[rs.length - 1]} step ${step}` : rs.join(', ');
}
