/**
 * ONNX export of any subnet of any space (or of one part of it), BN folded into the convs.
 * Input `input` float32 [1, C, r, r]; output `logits` [1, classes] (parts: `output`).
 * The bytes depend only on (space, config or part, weights): the same seed or checkpoint always
 * gives the same sha256, which is how the farm deduplicates artifacts.
 *
 * @example
 *   const weights = randomSupernetWeights(space, 0);   // reuse it: tensors are cached
 *   const { bytes, sha256 } = exportSubnet({ space, config, weights });
 */
import { createHash } from 'node:crypto';
import { buildArch, convOutSize, type BlockSpec } from '../core/arch';
import { minConfig, parseSubnetConfig, type SubnetConfig } from '../core/config';
import { ValidationError } from '../core/errors';
import type { SpaceDef } from '../core/space';
import { canonicalJson, subnetId } from '../core/subnet-id';
import { extractBlock, extractHead, extractStem, extractSubnet } from './extract';
import { GraphBuilder } from './onnx-graph';
import { emitBlock, emitHead, emitStem } from './onnx-layers';
import type { SupernetWeights } from './supernet-tensors';

/** Bumped whenever the emitted graph changes for the same inputs (it is the producer_version). */
export const EXPORTER_VERSION = '1';

export interface OnnxExport {
  bytes: Uint8Array;
  /** Hex sha256 of `bytes`: the artifact's identity. */
  sha256: string;
  inputShape: number[];
  outputShape: number[];
  /** Float values held in the model's initializers (folded weights and biases). */
  weightCount: number;
}

export interface ExportSubnetOptions {
  space: SpaceDef;
  /** Validated against the space (a ValidationError names every problem). */
  config: SubnetConfig;
  weights: SupernetWeights;
}

/** One part of a subnet, for per-block latency tables. */
export type ExportPart =
  | { kind: 'stem'; resolution: number }
  | { kind: 'block'; block: BlockSpec }
  | { kind: 'head'; featureSize: number };

export interface ExportPartOptions {
  space: SpaceDef;
  part: ExportPart;
  weights: SupernetWeights;
}

function checkWeights(space: SpaceDef, weights: SupernetWeights): void {
  if (weights.space.name !== space.name) throw new ValidationError(`the weights are for ${weights.space.name}, not ${space.name}`);
}

function finish(g: GraphBuilder, metadata: Record<string, string>, inputShape: number[], outputShape: number[]): OnnxExport {
  const bytes = g.encode(metadata, EXPORTER_VERSION);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), inputShape, outputShape, weightCount: g.weightCount };
}

/** The full subnet: stem, block 0, the first d blocks of each stage, head. */
export function exportSubnet(opts: ExportSubnetOptions): OnnxExport {
  const { space, weights } = opts;
  checkWeights(space, weights);
  const config = parseSubnetConfig(space, opts.config);
  const subnet = extractSubnet(weights, config);
  const eps = space.bn.eps;
  const r = config.r;
  const inputShape = [1, space.inputChannels, r, r];
  const outputShape = [1, space.numClasses];
  const g = new GraphBuilder(`${space.name} subnet`);
  let x = g.input('input', inputShape);
  x = emitStem(g, x, subnet.stem, eps);
  subnet.blocks.forEach((block, i) => {
    // Static-subnet numbering (blocks.0 .. blocks.n-1), as in the reference's MobileNetV3.
    x = emitBlock(g, x, block, eps, `blocks.${i}.conv`);
  });
  emitHead(g, x, subnet.head, eps, 'logits');
  g.output('logits', outputShape);
  return finish(
    g,
    { 'ofa_farm.space': space.name, 'ofa_farm.config': canonicalJson(space, config), 'ofa_farm.subnet_id': subnetId(space, config), 'ofa_farm.weights': weights.source },
    inputShape,
    outputShape,
  );
}

function checkSize(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 4096) throw new ValidationError(`${what} must be an integer between 1 and 4096, got ${value}`);
}

/** Specs of the parts that do not depend on a config (stem at r, head at feature size f). */
function fixedParts(space: SpaceDef, r: number) {
  return buildArch(space, minConfig(space, r));
}

/**
 * One part alone: the stem at resolution r ([1, C, r, r] -> [1, C0, f, f]), one block given its
 * BlockSpec from core's buildArch ([1, cin, fin, fin] -> [1, cout, fout, fout]), or the head at
 * feature size f ([1, C_last, f, f] -> [1, classes]). Weights are the block's slice of the supernet.
 */
export function exportPart(opts: ExportPartOptions): OnnxExport {
  const { space, part, weights } = opts;
  checkWeights(space, weights);
  const eps = space.bn.eps;
  const g = new GraphBuilder(`${space.name} ${part.kind}`);
  const metadata: Record<string, string> = { 'ofa_farm.space': space.name, 'ofa_farm.weights': weights.source };
  switch (part.kind) {
    case 'stem': {
      checkSize(part.resolution, 'stem resolution');
      const stem = fixedParts(space, part.resolution).stem;
      const inputShape = [1, stem.cin, stem.fin, stem.fin];
      const outputShape = [1, stem.cout, stem.fout, stem.fout];
      const y = emitStem(g, g.input('input', inputShape), extractStem(weights, stem), eps);
      g.node('Identity', [y], 'output');
      g.output('output', outputShape);
      metadata['ofa_farm.part'] = JSON.stringify({ kind: 'stem', resolution: part.resolution });
      return finish(g, metadata, inputShape, outputShape);
    }
    case 'block': {
      const b = part.block;
      checkSize(b.fin, 'block input size');
      if (b.fout !== convOutSize(b.fin, b.stride)) throw new ValidationError(`block output size ${b.fout} does not follow from input ${b.fin} and stride ${b.stride}`);
      if (b.skip !== (b.stride === 1 && b.cin === b.cout)) throw new ValidationError(`block skip=${b.skip} contradicts stride ${b.stride}, ${b.cin} -> ${b.cout}`);
      const inputShape = [1, b.cin, b.fin, b.fin];
      const outputShape = [1, b.cout, b.fout, b.fout];
      const prefix = b.elasticIndex === null ? 'blocks.0.conv' : `blocks.${b.elasticIndex + 1}.conv`;
      const y = emitBlock(g, g.input('input', inputShape), extractBlock(weights, b), eps, prefix);
      g.node('Identity', [y], 'output');
      g.output('output', outputShape);
      metadata['ofa_farm.part'] = JSON.stringify({ kind: 'block', block: b });
      return finish(g, metadata, inputShape, outputShape);
    }
    case 'head': {
      checkSize(part.featureSize, 'head feature size');
      const head = fixedParts(space, space.resolutions[0]).head;
      head.finalExpand.f = part.featureSize;
      const inputShape = [1, head.finalExpand.cin, part.featureSize, part.featureSize];
      const outputShape = [1, head.classifier.cout];
      emitHead(g, g.input('input', inputShape), extractHead(weights, head), eps, 'logits');
      g.output('logits', outputShape);
      metadata['ofa_farm.part'] = JSON.stringify({ kind: 'head', featureSize: part.featureSize });
      return finish(g, metadata, inputShape, outputShape);
    }
  }
}
