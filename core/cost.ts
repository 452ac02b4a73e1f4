/**
 * MACs and parameter counts of any subnet, exactly as the reference counts them
 * (`count_flops_given_config` in latency_lookup_table.py; `count_parameters`). BN, activations,
 * pooling, residual adds and biases are not MACs; BN gamma/beta, SE and classifier biases are params.
 *
 * @example subnetCost(SPACES['ofa-mbv3-w1.0'], uniformConfig(space, {k: 3, e: 3, d: 4, r: 224})).macs // 226_2xx_xxx
 */
import { buildArch, type BlockSpec, type StemSpec, type SubnetArch } from './arch';
import type { SubnetConfig } from './config';
import type { SpaceDef } from './space';

export interface SubnetCost {
  macs: number;
  params: number;
}

/** conv(out_hw, cin, cout, k, groups) of the reference: cin*cout*k^2*out_hw^2/groups. */
function convMacs(outHw: number, cin: number, cout: number, k: number, groups: number): number {
  return (cin * cout * k * k * outHw * outHw) / groups;
}

export function stemCost(stem: StemSpec): SubnetCost {
  return {
    macs: convMacs(stem.fout, stem.cin, stem.cout, stem.kernel, 1),
    params: stem.cin * stem.cout * stem.kernel * stem.kernel + 2 * stem.cout,
  };
}

export function blockCost(b: BlockSpec): SubnetCost {
  let macs = 0;
  let params = 0;
  if (b.expand !== 1) {
    macs += convMacs(b.fin, b.cin, b.mid, 1, 1);
    params += b.cin * b.mid + 2 * b.mid;
  }
  macs += convMacs(b.fout, b.mid, b.mid, b.kernel, b.mid);
  params += b.mid * b.kernel * b.kernel + 2 * b.mid;
  if (b.se) {
    macs += b.mid * b.seMid + b.seMid * b.mid;
    params += b.mid * b.seMid + b.seMid + b.seMid * b.mid + b.mid;
  }
  macs += convMacs(b.fout, b.mid, b.cout, 1, 1);
  params += b.mid * b.cout + 2 * b.cout;
  return { macs, params };
}

export function headCost(arch: SubnetArch): SubnetCost {
  const { finalExpand: fe, featureMix: fm, classifier: cl } = arch.head;
  return {
    macs: fe.f * fe.f * fe.cin * fe.cout + fm.cin * fm.cout + cl.cin * cl.cout,
    params: fe.cin * fe.cout + 2 * fe.cout + fm.cin * fm.cout + cl.cin * cl.cout + cl.cout,
  };
}

export function archCost(arch: SubnetArch): SubnetCost {
  const parts = [stemCost(arch.stem), ...arch.blocks.map(blockCost), headCost(arch)];
  return {
    macs: parts.reduce((sum, p) => sum + p.macs, 0),
    params: parts.reduce((sum, p) => sum + p.params, 0),
  };
}

/** MACs and params of a subnet (integers). */
export function subnetCost(space: SpaceDef, config: SubnetConfig): SubnetCost {
  const cost = archCost(buildArch(space, config));
  return { macs: Math.round(cost.macs), params: Math.round(cost.params) };
}
