/**
 * An independent forward pass of an OFA-MobileNetV3 subnet for the export tests: plain
 * Float64Array loops over the UNFOLDED supernet tensors (conv, then BN with running stats),
 * doing its own channel slicing, centre crops and kernel transform straight from the supernet's
 * full-size tensors. It uses the space declaration only, not core/arch.ts or models/, so a
 * mistake there cannot hide itself.
 */
import { makeDivisible, type Activation, type SpaceDef } from '../../core/space';
import type { SubnetConfig } from '../../core/config';

export interface Fmap {
  c: number;
  h: number;
  data: Float64Array;
}

type Tensors = ReadonlyMap<string, Float32Array>;

function get(t: Tensors, name: string): Float32Array {
  const v = t.get(name);
  if (!v) throw new Error(`reference forward: no tensor ${name}`);
  return v;
}

/**
 * Dense or grouped conv, padding k//2. `w(o, i, y, x)` reads the filter of output o, input i
 * (within its group), so callers can read straight from a larger supernet tensor.
 */
function conv(x: Fmap, cout: number, k: number, stride: number, groups: number, w: (o: number, i: number, y: number, xx: number) => number, bias?: (o: number) => number): Fmap {
  const h = x.h;
  const oh = Math.floor((h + 2 * Math.floor(k / 2) - k) / stride) + 1;
  const pad = Math.floor(k / 2);
  const out = new Float64Array(cout * oh * oh);
  const cinG = x.c / groups;
  const coutG = cout / groups;
  const xd = x.data;
  if (k === 1 && stride === 1 && groups === 1) {
    pointwise1x1(xd, x.c, h * h, out, cout, w);
  } else {
    for (let o = 0; o < cout; o++) {
      const g = Math.floor(o / coutG);
      const acc = out.subarray(o * oh * oh, (o + 1) * oh * oh);
      for (let i = 0; i < cinG; i++) {
        const xi = xd.subarray((g * cinG + i) * h * h, (g * cinG + i + 1) * h * h);
        for (let ky = 0; ky < k; ky++) {
          // output rows whose input row oy*stride+ky-pad lies inside the map
          const oy0 = Math.max(0, Math.ceil((pad - ky) / stride));
          const oy1 = Math.min(oh, Math.floor((h - 1 + pad - ky) / stride) + 1);
          for (let kx = 0; kx < k; kx++) {
            const wv = w(o, i, ky, kx);
            const ox0 = Math.max(0, Math.ceil((pad - kx) / stride));
            const ox1 = Math.min(oh, Math.floor((h - 1 + pad - kx) / stride) + 1);
            for (let oy = oy0; oy < oy1; oy++) {
              const row = (oy * stride + ky - pad) * h - pad + kx;
              const orow = oy * oh;
              for (let ox = ox0; ox < ox1; ox++) acc[orow + ox] += wv * xi[row + ox * stride];
            }
          }
        }
      }
    }
  }
  if (bias) for (let o = 0; o < cout; o++) for (let p = 0; p < oh * oh; p++) out[o * oh * oh + p] += bias(o);
  return { c: cout, h: oh, data: out };
}

/**
 * 1x1 conv in 4x4 register blocks (4 outputs x 4 inputs per pass over the pixels): the bulk of
 * the MACs, so this keeps the 50-config comparisons affordable in CI.
 */
function pointwise1x1(xd: Float64Array, cin: number, hw: number, out: Float64Array, cout: number, w: (o: number, i: number, y: number, x: number) => number): void {
  const zeros = new Float64Array(hw);
  const scratch = new Float64Array(hw);
  const rowOut = (o: number) => (o < cout ? out.subarray(o * hw, (o + 1) * hw) : scratch);
  const rowIn = (i: number) => (i < cin ? xd.subarray(i * hw, (i + 1) * hw) : zeros);
  const wt = (o: number, i: number) => (o < cout && i < cin ? w(o, i, 0, 0) : 0);
  for (let o = 0; o < cout; o += 4) {
    const a0 = rowOut(o), a1 = rowOut(o + 1), a2 = rowOut(o + 2), a3 = rowOut(o + 3);
    for (let i = 0; i < cin; i += 4) {
      const x0 = rowIn(i), x1 = rowIn(i + 1), x2 = rowIn(i + 2), x3 = rowIn(i + 3);
      const w00 = wt(o, i), w01 = wt(o, i + 1), w02 = wt(o, i + 2), w03 = wt(o, i + 3);
      const w10 = wt(o + 1, i), w11 = wt(o + 1, i + 1), w12 = wt(o + 1, i + 2), w13 = wt(o + 1, i + 3);
      const w20 = wt(o + 2, i), w21 = wt(o + 2, i + 1), w22 = wt(o + 2, i + 2), w23 = wt(o + 2, i + 3);
      const w30 = wt(o + 3, i), w31 = wt(o + 3, i + 1), w32 = wt(o + 3, i + 2), w33 = wt(o + 3, i + 3);
      for (let p = 0; p < hw; p++) {
        const v0 = x0[p], v1 = x1[p], v2 = x2[p], v3 = x3[p];
        a0[p] += w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3;
        a1[p] += w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3;
        a2[p] += w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3;
        a3[p] += w30 * v0 + w31 * v1 + w32 * v2 + w33 * v3;
      }
    }
  }
}

function batchNorm(x: Fmap, t: Tensors, prefix: string, eps: number): Fmap {
  const [g, b, m, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => get(t, `${prefix}.${p}`));
  const hw = x.h * x.h;
  const out = new Float64Array(x.data.length);
  for (let c = 0; c < x.c; c++) {
    const scale = g[c] / Math.sqrt(v[c] + eps);
    for (let p = 0; p < hw; p++) out[c * hw + p] = (x.data[c * hw + p] - m[c]) * scale + b[c];
  }
  return { ...x, data: out };
}

const relu6 = (v: number) => Math.min(Math.max(v, 0), 6);
function act(x: Fmap, kind: Activation | 'h_sigmoid'): Fmap {
  const f = kind === 'relu' ? (v: number) => Math.max(v, 0) : kind === 'h_swish' ? (v: number) => (v * relu6(v + 3)) / 6 : (v: number) => relu6(v + 3) / 6;
  return { ...x, data: x.data.map(f) };
}

function gap(x: Fmap): Fmap {
  const hw = x.h * x.h;
  const out = new Float64Array(x.c);
  for (let c = 0; c < x.c; c++) {
    let s = 0;
    for (let p = 0; p < hw; p++) s += x.data[c * hw + p];
    out[c] = s / hw;
  }
  return { c: x.c, h: 1, data: out };
}

/** Reads W[o, i, 0, 0] of a [O, I, 1, 1] tensor with full input size I. */
const pointwise = (w: Float32Array, fullIn: number) => (o: number, i: number) => w[o * fullIn + i];

/** The depthwise filter of an elastic block: centre crops plus the chained transform (7->5->3). */
function depthwiseFilter(t: Tensors, prefix: string, mid: number, K: number, k: number): (o: number, i: number, y: number, x: number) => number {
  const full = get(t, `${prefix}.conv.weight`);
  let size = K;
  let filt: Float64Array = Float64Array.from(full.subarray(0, mid * K * K));
  while (size > k) {
    const next = size - 2;
    const m = get(t, `${prefix}.${size}to${next}_matrix`);
    const n = next * next;
    const off = (size - next) / 2;
    const out = new Float64Array(mid * n);
    for (let c = 0; c < mid; c++) {
      const crop = new Float64Array(n);
      for (let y = 0; y < next; y++) for (let x = 0; x < next; x++) crop[y * next + x] = filt[c * size * size + (y + off) * size + (x + off)];
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += m[j * n + i] * crop[i];
        out[c * n + j] = Math.fround(s);
      }
    }
    filt = out;
    size = next;
  }
  return (o, _i, y, x) => filt[(o * k + y) * k + x];
}

function se(x: Fmap, t: Tensors, prefix: string, mid: number, fullMid: number, fullSe: number): Fmap {
  const seMid = makeDivisible(Math.floor(mid / 4), 8);
  const rw = get(t, `${prefix}.fc.reduce.weight`);
  const rb = get(t, `${prefix}.fc.reduce.bias`);
  const ew = get(t, `${prefix}.fc.expand.weight`);
  const eb = get(t, `${prefix}.fc.expand.bias`);
  let s = gap(x);
  s = act(conv(s, seMid, 1, 1, 1, pointwise(rw, fullMid), (o) => rb[o]), 'relu');
  s = act(conv(s, mid, 1, 1, 1, pointwise(ew, fullSe), (o) => eb[o]), 'h_sigmoid');
  const hw = x.h * x.h;
  const out = new Float64Array(x.data.length);
  for (let c = 0; c < mid; c++) for (let p = 0; p < hw; p++) out[c * hw + p] = x.data[c * hw + p] * s.data[c];
  return { ...x, data: out };
}

/** Logits of `config`'s subnet for input `image` ([C, r, r], float64), from full supernet tensors. */
export function referenceForward(space: SpaceDef, t: Tensors, config: SubnetConfig, image: Float64Array): Float64Array {
  const eps = space.bn.eps;
  const K = Math.max(...space.kernelChoices);
  const maxE = Math.max(...space.expandChoices);
  const depth = Math.max(...space.depthChoices);
  let x: Fmap = { c: space.inputChannels, h: config.r, data: image };

  const stemW = get(t, 'first_conv.conv.weight');
  const C0 = space.stem.width;
  const ks = space.stem.kernel;
  x = conv(x, C0, ks, space.stem.stride, 1, (o, i, y, xx) => stemW[((o * space.inputChannels + i) * ks + y) * ks + xx]);
  x = act(batchNorm(x, t, 'first_conv.bn', eps), space.stem.act);

  // Block 0: static MBConv, expand 1.
  const b0 = 'blocks.0.conv';
  const k0 = space.firstBlock.kernel;
  const dw0 = get(t, `${b0}.depth_conv.conv.weight`);
  let h = conv(x, C0, k0, space.firstBlock.stride, C0, (o, _i, y, xx) => dw0[(o * k0 + y) * k0 + xx]);
  h = act(batchNorm(h, t, `${b0}.depth_conv.bn`, eps), space.firstBlock.act);
  if (space.firstBlock.se) h = se(h, t, `${b0}.depth_conv.se`, C0, C0, makeDivisible(Math.floor(C0 / 4), 8));
  h = batchNorm(conv(h, space.firstBlock.width, 1, 1, 1, pointwise(get(t, `${b0}.point_linear.conv.weight`), C0)), t, `${b0}.point_linear.bn`, eps);
  x = space.firstBlock.stride === 1 && C0 === space.firstBlock.width ? add(h, x) : h;

  let cin = space.firstBlock.width;
  space.stages.forEach((stage, s) => {
    const fullIn = s === 0 ? space.firstBlock.width : space.stages[s - 1].width;
    for (let j = 0; j < config.d[s]; j++) {
      const idx = s * depth + j;
      const p = `blocks.${idx + 1}.conv`;
      const blockFullIn = j === 0 ? fullIn : stage.width;
      const fullMid = makeDivisible(Math.round(blockFullIn * maxE), 8);
      const mid = makeDivisible(Math.round(cin * config.e[idx]), 8);
      const stride = j === 0 ? stage.stride : 1;
      let y: Fmap = x;
      y = conv(y, mid, 1, 1, 1, pointwise(get(t, `${p}.inverted_bottleneck.conv.conv.weight`), blockFullIn));
      y = act(batchNorm(y, t, `${p}.inverted_bottleneck.bn.bn`, eps), stage.act);
      y = conv(y, mid, config.ks[idx], stride, mid, depthwiseFilter(t, `${p}.depth_conv.conv`, mid, K, config.ks[idx]));
      y = act(batchNorm(y, t, `${p}.depth_conv.bn.bn`, eps), stage.act);
      if (stage.se) y = se(y, t, `${p}.depth_conv.se`, mid, fullMid, makeDivisible(Math.floor(fullMid / 4), 8));
      y = batchNorm(conv(y, stage.width, 1, 1, 1, pointwise(get(t, `${p}.point_linear.conv.conv.weight`), fullMid)), t, `${p}.point_linear.bn.bn`, eps);
      x = stride === 1 && cin === stage.width ? add(y, x) : y;
      cin = stage.width;
    }
  });

  x = conv(x, space.finalExpand.width, 1, 1, 1, pointwise(get(t, 'final_expand_layer.conv.weight'), cin));
  x = act(batchNorm(x, t, 'final_expand_layer.bn', eps), space.finalExpand.act);
  x = gap(x);
  x = act(conv(x, space.featureMix.width, 1, 1, 1, pointwise(get(t, 'feature_mix_layer.conv.weight'), space.finalExpand.width)), space.featureMix.act);
  const cw = get(t, 'classifier.linear.weight');
  const cb = get(t, 'classifier.linear.bias');
  const logits = new Float64Array(space.numClasses);
  for (let o = 0; o < space.numClasses; o++) {
    let sum = cb[o];
    for (let i = 0; i < x.c; i++) sum += cw[o * x.c + i] * x.data[i];
    logits[o] = sum;
  }
  return logits;
}

function add(a: Fmap, b: Fmap): Fmap {
  return { ...a, data: a.data.map((v, i) => v + b.data[i]) };
}
