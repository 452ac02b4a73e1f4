/**
 * The concrete network a subnet config builds: every layer with its real channel counts, kernel,
 * stride, activation and feature-map size. Cost, ONNX export, the trainer and the per-block
 * latency tables all read this one description, so they cannot disagree about a subnet.
 */
import { isBlockActive, type SubnetConfig } from './config';
import { elasticBlockCount, makeDivisible, maxDepth, type Activation, type SpaceDef } from './space';

export interface StemSpec {
  cin: number;
  cout: number;
  kernel: number;
  stride: number;
  act: Activation;
  /** Input and output feature-map sizes (square). */
  fin: number;
  fout: number;
}

export interface BlockSpec {
  /** Index into the config's ks/e lists; null for the fixed first block. */
  elasticIndex: number | null;
  /** 0 for the fixed first block, 1..5 for the elastic stages. */
  stage: number;
  position: number;
  cin: number;
  cout: number;
  /** Middle (expanded) channels; equals cin when expand is 1. */
  mid: number;
  expand: number;
  kernel: number;
  stride: number;
  act: Activation;
  se: boolean;
  /** SE squeeze channels, 0 without SE. */
  seMid: number;
  /** Identity shortcut: stride 1 and cin == cout. */
  skip: boolean;
  fin: number;
  fout: number;
}

export interface HeadSpec {
  /** final_expand: 1x1 conv + BN + act at feature-map size `f`. */
  finalExpand: { cin: number; cout: number; act: Activation; f: number };
  /** feature_mix: 1x1 conv, no BN, no bias, after global average pooling. */
  featureMix: { cin: number; cout: number; act: Activation };
  classifier: { cin: number; cout: number };
}

export interface SubnetArch {
  space: SpaceDef['name'];
  resolution: number;
  inputChannels: number;
  stem: StemSpec;
  /** Active blocks in order, the fixed first block included. */
  blocks: BlockSpec[];
  head: HeadSpec;
}

/** Output size of a conv with padding k//2: floor((f - 1) / s) + 1 for odd k. */
export function convOutSize(f: number, stride: number): number {
  return Math.floor((f - 1) / stride) + 1;
}

export function midChannels(cin: number, expand: number): number {
  return makeDivisible(Math.round(cin * expand), 8);
}

export function seChannels(mid: number): number {
  return makeDivisible(Math.floor(mid / 4), 8);
}

/** Builds the block list for a config; `r` is not checked against the grid (cost works off-grid). */
export function buildArch(space: SpaceDef, config: SubnetConfig): SubnetArch {
  const r = config.r;
  const stemOut = convOutSize(r, space.stem.stride);
  const stem: StemSpec = {
    cin: space.inputChannels,
    cout: space.stem.width,
    kernel: space.stem.kernel,
    stride: space.stem.stride,
    act: space.stem.act,
    fin: r,
    fout: stemOut,
  };
  const blocks: BlockSpec[] = [];
  let f = stemOut;
  let cin = space.stem.width;
  const first = space.firstBlock;
  const firstOut = convOutSize(f, first.stride);
  blocks.push({
    elasticIndex: null,
    stage: 0,
    position: 0,
    cin,
    cout: first.width,
    mid: cin,
    expand: 1,
    kernel: first.kernel,
    stride: first.stride,
    act: first.act,
    se: first.se,
    seMid: first.se ? seChannels(cin) : 0,
    skip: first.stride === 1 && cin === first.width,
    fin: f,
    fout: firstOut,
  });
  f = firstOut;
  cin = first.width;
  const depth = maxDepth(space);
  for (let i = 0; i < elasticBlockCount(space); i++) {
    if (!isBlockActive(space, config, i)) continue;
    const stageIndex = Math.floor(i / depth);
    const position = i % depth;
    const stage = space.stages[stageIndex];
    const stride = position === 0 ? stage.stride : 1;
    const mid = midChannels(cin, config.e[i]);
    const fout = convOutSize(f, stride);
    blocks.push({
      elasticIndex: i,
      stage: stageIndex + 1,
      position,
      cin,
      cout: stage.width,
      mid,
      expand: config.e[i],
      kernel: config.ks[i],
      stride,
      act: stage.act,
      se: stage.se,
      seMid: stage.se ? seChannels(mid) : 0,
      skip: stride === 1 && cin === stage.width,
      fin: f,
      fout,
    });
    f = fout;
    cin = stage.width;
  }
  return {
    space: space.name,
    resolution: r,
    inputChannels: space.inputChannels,
    stem,
    blocks,
    head: {
      finalExpand: { cin, cout: space.finalExpand.width, act: space.finalExpand.act, f },
      featureMix: { cin: space.finalExpand.width, cout: space.featureMix.width, act: space.featureMix.act },
      classifier: { cin: space.featureMix.width, cout: space.numClasses },
    },
  };
}

/**
 * The supernet's stored (maximum) sizes for elastic block i: its input channels and the largest
 * middle width. Every subnet slices the leading channels of these tensors.
 */
export function supernetBlockShape(space: SpaceDef, index: number): { cin: number; cout: number; maxMid: number; maxSeMid: number } {
  const depth = maxDepth(space);
  const stageIndex = Math.floor(index / depth);
  const position = index % depth;
  const stage = space.stages[stageIndex];
  const cin = position === 0 ? (stageIndex === 0 ? space.firstBlock.width : space.stages[stageIndex - 1].width) : stage.width;
  const maxMid = midChannels(cin, Math.max(...space.expandChoices));
  return { cin, cout: stage.width, maxMid, maxSeMid: stage.se ? seChannels(maxMid) : 0 };
}
