/**
 * Features of a subnet for learned twins: analytic costs split the way latency splits on real
 * hardware. Per stage: 1x1 (pointwise) MACs, depthwise MACs per kernel size (kernels run
 * different code paths), SE MACs, activation elements written (memory traffic) and the number of
 * blocks (per-operator overhead); plus stem, first block and head. Units: millions.
 */
import { buildArch } from '../../core/arch';
import type { SubnetConfig } from '../../core/config';
import { encodeOneHotInto, oneHotLength } from '../../core/encode';
import type { SpaceDef } from '../../core/space';

const M = 1e-6;

export function costFeatureNames(space: SpaceDef): string[] {
  const names = ['stem.macs', 'stem.elems', 'b0.macs', 'b0.elems'];
  space.stages.forEach((_, s) => {
    const p = `s${s + 1}`;
    names.push(`${p}.pw`, ...space.kernelChoices.map((k) => `${p}.dw${k}`), `${p}.se`, `${p}.elems`, `${p}.blocks`);
  });
  names.push('head.macs', 'head.elems');
  return names;
}

export function costFeatures(space: SpaceDef, config: SubnetConfig): Float64Array {
  const arch = buildArch(space, config);
  const nk = space.kernelChoices.length;
  const perStage = 4 + nk;
  const out = new Float64Array(4 + space.stages.length * perStage + 2);
  const { stem } = arch;
  out[0] = stem.cin * stem.cout * stem.kernel * stem.kernel * stem.fout * stem.fout * M;
  out[1] = stem.cout * stem.fout * stem.fout * M;
  for (const b of arch.blocks) {
    const pw = ((b.expand !== 1 ? b.fin * b.fin * b.cin * b.mid : 0) + b.fout * b.fout * b.mid * b.cout) * M;
    const dw = b.fout * b.fout * b.mid * b.kernel * b.kernel * M;
    const se = 2 * b.mid * b.seMid * M;
    const elems = ((b.expand !== 1 ? b.fin * b.fin * b.mid : 0) + b.fout * b.fout * (b.mid + b.cout)) * M;
    if (b.stage === 0) {
      out[2] += pw + dw + se;
      out[3] += elems;
      continue;
    }
    const base = 4 + (b.stage - 1) * perStage;
    out[base] += pw;
    out[base + 1 + space.kernelChoices.indexOf(b.kernel)] += dw;
    out[base + 1 + nk] += se;
    out[base + 2 + nk] += elems;
    out[base + 3 + nk] += 1;
  }
  const fe = arch.head.finalExpand;
  out[out.length - 2] = fe.f * fe.f * fe.cin * fe.cout * M;
  out[out.length - 1] = fe.f * fe.f * fe.cout * M;
  return out;
}

/** Row-major matrix of cost features followed by the OFA one-hot encoding (for tree models). */
export function treeFeatures(space: SpaceDef, configs: readonly SubnetConfig[], extra?: (config: SubnetConfig, i: number) => number[]): { rows: Float64Array[]; names: string[] } {
  const costNames = costFeatureNames(space);
  const oneHot = new Float32Array(oneHotLength(space));
  const rows = configs.map((config, i) => {
    const cost = costFeatures(space, config);
    encodeOneHotInto(space, config, oneHot);
    const more = extra ? extra(config, i) : [];
    let macs = 0;
    costNames.forEach((name, j) => {
      if (!name.endsWith('.elems') && !name.endsWith('.blocks')) macs += cost[j];
    });
    return Float64Array.from([...cost, macs, config.r, ...oneHot, ...more]);
  });
  const names = [...costNames, 'macs', 'r', ...Array.from({ length: oneHot.length }, (_, i) => `onehot.${i}`)];
  return { rows, names };
}
