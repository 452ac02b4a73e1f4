/**
 * ONNX emitters for the parts of an OFA-MobileNetV3 subnet, BN folded into the convs:
 * the stem, one MBConv block, and the head. `exportSubnet` chains all of them; `exportPart`
 * emits one alone (per-block latency tables).
 *
 * Ops: Conv (pads k//2), Relu, HardSwish (h_swish), SE = GlobalAveragePool -> Conv(+bias) -> Relu
 * -> Conv(+bias) -> HardSigmoid(alpha 1/6, beta 0.5) (= relu6(x+3)/6) -> Mul, residual Add,
 * GlobalAveragePool, feature-mix Conv without bias, Flatten, Gemm. Dropout is left out (inference).
 */
import type { Activation } from '../core/space';
import type { BlockWeights, HeadWeights, StemWeights } from './extract';
import { foldConvBn } from './fold';
import type { GraphBuilder } from './onnx-graph';

interface ConvParams {
  weight: Float32Array;
  bias: Float32Array | null;
  shape: [number, number, number, number];
  stride: number;
  group: number;
}

function conv(g: GraphBuilder, x: string, name: string, p: ConvParams): string {
  const [, , kh, kw] = p.shape;
  const inputs = [x, g.initializer(`${name}.weight`, p.shape, p.weight)];
  if (p.bias) inputs.push(g.initializer(`${name}.bias`, [p.shape[0]], p.bias));
  const pad = Math.floor(kh / 2);
  return g.node('Conv', inputs, name, {
    kernel_shape: [kh, kw],
    strides: [p.stride, p.stride],
    pads: [pad, Math.floor(kw / 2), pad, Math.floor(kw / 2)],
    dilations: [1, 1],
    group: p.group,
  });
}

export function activation(g: GraphBuilder, x: string, act: Activation, name: string): string {
  switch (act) {
    case 'relu':
      return g.node('Relu', [x], name);
    case 'h_swish':
      return g.node('HardSwish', [x], name);
  }
}

function hardSigmoid(g: GraphBuilder, x: string, name: string): string {
  return g.node('HardSigmoid', [x], name, { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
}

/** ConvLayer 3x3 stride 2 + BN + act of the reference. */
export function emitStem(g: GraphBuilder, x: string, stem: StemWeights, eps: number, prefix = 'first_conv'): string {
  const folded = foldConvBn(stem.conv, eps);
  const y = conv(g, x, `${prefix}.conv`, { ...folded, stride: stem.spec.stride, group: 1 });
  return activation(g, y, stem.spec.act, `${prefix}.act`);
}

/** One MBConv block (inverted bottleneck, depthwise, optional SE, point-linear, optional residual). */
export function emitBlock(g: GraphBuilder, x: string, block: BlockWeights, eps: number, prefix: string): string {
  const { spec } = block;
  let h = x;
  if (block.expand) {
    const folded = foldConvBn(block.expand, eps);
    h = conv(g, h, `${prefix}.inverted_bottleneck.conv`, { ...folded, stride: 1, group: 1 });
    h = activation(g, h, spec.act, `${prefix}.inverted_bottleneck.act`);
  }
  const dw = foldConvBn(block.depthwise, eps);
  h = conv(g, h, `${prefix}.depth_conv.conv`, { ...dw, stride: spec.stride, group: spec.mid });
  h = activation(g, h, spec.act, `${prefix}.depth_conv.act`);
  if (block.se) {
    const se = `${prefix}.depth_conv.se`;
    let s = g.node('GlobalAveragePool', [h], `${se}.pool`);
    s = conv(g, s, `${se}.fc.reduce`, { weight: block.se.reduceWeight, bias: block.se.reduceBias, shape: [spec.seMid, spec.mid, 1, 1], stride: 1, group: 1 });
    s = g.node('Relu', [s], `${se}.fc.relu`);
    s = conv(g, s, `${se}.fc.expand`, { weight: block.se.expandWeight, bias: block.se.expandBias, shape: [spec.mid, spec.seMid, 1, 1], stride: 1, group: 1 });
    s = hardSigmoid(g, s, `${se}.fc.h_sigmoid`);
    h = g.node('Mul', [h, s], `${se}.mul`);
  }
  const pl = foldConvBn(block.project, eps);
  h = conv(g, h, `${prefix}.point_linear.conv`, { ...pl, stride: 1, group: 1 });
  return spec.skip ? g.node('Add', [h, x], `${prefix}.add`) : h;
}

/** final_expand (1x1 + BN + act) -> GAP -> feature_mix (1x1, no BN, no bias, act) -> flatten -> classifier. */
export function emitHead(g: GraphBuilder, x: string, head: HeadWeights, eps: number, output = 'logits'): string {
  const { finalExpand: fe, featureMix: fm, classifier: cl } = head.spec;
  const folded = foldConvBn(head.finalExpand, eps);
  let h = conv(g, x, 'final_expand_layer.conv', { ...folded, stride: 1, group: 1 });
  h = activation(g, h, fe.act, 'final_expand_layer.act');
  h = g.node('GlobalAveragePool', [h], 'global_avg_pool');
  h = conv(g, h, 'feature_mix_layer.conv', { weight: head.featureMix, bias: null, shape: [fm.cout, fm.cin, 1, 1], stride: 1, group: 1 });
  h = activation(g, h, fm.act, 'feature_mix_layer.act');
  h = g.node('Flatten', [h], 'flatten', { axis: 1 });
  const w = g.initializer('classifier.linear.weight', [cl.cout, cl.cin], head.classifierWeight);
  const b = g.initializer('classifier.linear.bias', [cl.cout], head.classifierBias);
  return g.node('Gemm', [h, w, b], output, { transB: 1 });
}
