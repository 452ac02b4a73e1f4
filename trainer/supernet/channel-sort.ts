/**
 * Channel sorting for elastic expand ratios (§3, `re_organize_middle_weights`), applied once at the
 * start of each expand phase on the PyTorch-layout tensors. Importance of middle channel c is the
 * L1 norm of the point-linear weights reading it; channels are reordered by descending importance
 * in every tensor that produces or consumes them, so the full network computes the same function.
 * SE hidden channels are re-sorted by the L1 norm of the SE expand weights. With
 * `expandRatioStage > 0` (second expand phase) the channels of widths chosen earlier are protected
 * by large negative offsets on the bands beyond them, so sorting only reorders within each band.
 */
import { midChannels, supernetBlockShape } from '../../core/arch';
import { elasticBlockCount, type SpaceDef } from '../../core/space';
import { elasticBlockPrefix } from '../../models/supernet-tensors';

/** Reorders index `axis` of a row-major tensor: out[..., i, ...] = in[..., idx[i], ...]. */
export function permuteAxis(data: Float32Array, shape: readonly number[], axis: number, idx: ArrayLike<number>): Float32Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const out = new Float32Array(data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const from = (o * n + idx[i]) * inner;
      out.set(data.subarray(from, from + inner), (o * n + i) * inner);
    }
  }
  return out;
}

/** L1 norm of each index along `axis`. */
function l1Along(data: Float32Array, shape: readonly number[], axis: number): Float64Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const out = new Float64Array(n);
  for (let o = 0; o < outer; o++) for (let i = 0; i < n; i++) for (let j = 0; j < inner; j++) out[i] += Math.abs(data[(o * n + i) * inner + j]);
  return out;
}

function descendingOrder(values: Float64Array): number[] {
  return Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b);
}

/** The reference's importance offsets that keep earlier nestings in front (expand_ratio_stage > 0). */
export function protectBands(importance: Float64Array, cin: number, expandList: readonly number[], stage: number): void {
  if (stage <= 0) return;
  const widths = [...expandList].sort((a, b) => b - a).map((e) => midChannels(cin, e));
  let right = importance.length;
  let base = -widths.length * 1e5;
  for (let i = 0; i <= stage; i++) {
    const left = widths[i];
    for (let c = left; c < right; c++) importance[c] += base;
    base += 1e5;
    right = left;
  }
}

/**
 * Sorts the middle channels of every elastic block in place. `expandList` is the current phase's
 * expand list (the reference net's expand_ratio_list), `stage` its expand_ratio_stage.
 */
export function sortChannels(space: SpaceDef, tensors: Map<string, Float32Array>, expandList: readonly number[], stage: number): void {
  const take = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`channel sorting needs tensor "${name}"`);
    return t;
  };
  const K = Math.max(...space.kernelChoices);
  for (let i = 0; i < elasticBlockCount(space); i++) {
    const { cin, cout, maxMid, maxSeMid } = supernetBlockShape(space, i);
    const p = elasticBlockPrefix(i);
    const pl = `${p}.point_linear.conv.conv.weight`;
    const importance = l1Along(take(pl), [cout, maxMid], 1);
    protectBands(importance, cin, expandList, stage);
    const idx = descendingOrder(importance);
    const permute = (name: string, shape: number[], axis: number, order: ArrayLike<number> = idx) => tensors.set(name, permuteAxis(take(name), shape, axis, order));
    permute(pl, [cout, maxMid], 1);
    for (const part of ['weight', 'bias', 'running_mean', 'running_var']) permute(`${p}.depth_conv.bn.bn.${part}`, [maxMid], 0);
    permute(`${p}.depth_conv.conv.conv.weight`, [maxMid, K * K], 0);
    if (maxSeMid > 0) {
      const se = `${p}.depth_conv.se.fc`;
      permute(`${se}.expand.weight`, [maxMid, maxSeMid], 0);
      permute(`${se}.expand.bias`, [maxMid], 0);
      permute(`${se}.reduce.weight`, [maxSeMid, maxMid], 1);
      const seIdx = descendingOrder(l1Along(take(`${se}.expand.weight`), [maxMid, maxSeMid], 1));
      permute(`${se}.expand.weight`, [maxMid, maxSeMid], 1, seIdx);
      permute(`${se}.reduce.weight`, [maxSeMid, maxMid], 0, seIdx);
      permute(`${se}.reduce.bias`, [maxSeMid], 0, seIdx);
    }
    if (tensors.has(`${p}.inverted_bottleneck.conv.conv.weight`)) {
      for (const part of ['weight', 'bias', 'running_mean', 'running_var']) permute(`${p}.inverted_bottleneck.bn.bn.${part}`, [maxMid], 0);
      permute(`${p}.inverted_bottleneck.conv.conv.weight`, [maxMid, cin], 0);
    }
  }
}
