/**
 * A subnet built as an ordinary static network (`get_active_subnet(preserve_weight=True)`): its
 * own variables holding the sliced weights and the baked transformed kernels (extracted by
 * models/extract.ts), no slicing or kernel transform at run time. The benchmark compares a
 * training step of it with the same subnet trained through the elastic supernet.
 */
import * as tf from '@tensorflow/tfjs';
import type { SubnetConfig } from '../../core/config';
import { extractSubnet, type ConvBn } from '../../models/extract';
import type { SupernetWeights } from '../../models/supernet-tensors';
import type { BnParams } from '../ops/layers';
import { layoutOf, torchToTf } from './layout';
import type { BlockT, NetT } from './net-weights';

export class StaticNet {
  readonly vars = new Map<string, tf.Variable>();
  readonly decay = new Set<string>();
  readonly running = new Map<string, Float32Array>();
  readonly net: NetT;

  constructor(weights: SupernetWeights, config: SubnetConfig) {
    const sub = extractSubnet(weights, config);
    const variable = (name: string, torchShape: number[], data: Float32Array, decay: boolean) => {
      const layout = layoutOf(name, torchShape);
      const initial = tf.tensor(torchToTf(layout, data), layout.tfShape);
      const v = tf.variable(initial, true, `static/${name}#${nextId++}`);
      initial.dispose();
      this.vars.set(name, v);
      if (decay) this.decay.add(name);
      return v;
    };
    const bn = (key: string, layer: ConvBn): BnParams => {
      this.running.set(`${key}.running_mean`, layer.bn.mean.slice());
      this.running.set(`${key}.running_var`, layer.bn.variance.slice());
      return {
        key,
        gamma: variable(`${key}.weight`, [layer.bn.gamma.length], layer.bn.gamma, false) as tf.Tensor as tf.Tensor1D,
        beta: variable(`${key}.bias`, [layer.bn.beta.length], layer.bn.beta, false) as tf.Tensor as tf.Tensor1D,
      };
    };
    const conv = <T extends tf.Tensor>(name: string, layer: ConvBn): { w: T; bn: BnParams } => ({
      w: variable(`${name}.conv.weight`, layer.shape, layer.weight, true) as tf.Tensor as T,
      bn: bn(`${name}.bn`, layer),
    });
    const blocks: BlockT[] = sub.blocks.map((b, i) => {
      const p = `blocks.${i}.conv`;
      const se = b.se;
      const seSpec = b.spec;
      return {
        spec: b.spec,
        expand: b.expand ? conv<tf.Tensor2D>(`${p}.inverted_bottleneck`, b.expand) : null,
        depthwise: conv<tf.Tensor4D>(`${p}.depth_conv`, b.depthwise),
        se: se
          ? {
              reduceW: variable(`${p}.depth_conv.se.fc.reduce.weight`, [seSpec.seMid, seSpec.mid, 1, 1], se.reduceWeight, true) as tf.Tensor as tf.Tensor2D,
              reduceB: variable(`${p}.depth_conv.se.fc.reduce.bias`, [seSpec.seMid], se.reduceBias, false) as tf.Tensor as tf.Tensor1D,
              expandW: variable(`${p}.depth_conv.se.fc.expand.weight`, [seSpec.mid, seSpec.seMid, 1, 1], se.expandWeight, true) as tf.Tensor as tf.Tensor2D,
              expandB: variable(`${p}.depth_conv.se.fc.expand.bias`, [seSpec.mid], se.expandBias, false) as tf.Tensor as tf.Tensor1D,
            }
          : null,
        project: conv<tf.Tensor2D>(`${p}.point_linear`, b.project),
      };
    });
    const head = sub.head;
    this.net = {
      arch: sub.arch,
      stem: conv<tf.Tensor4D>('first_conv', sub.stem.conv),
      blocks,
      finalExpand: conv<tf.Tensor2D>('final_expand_layer', head.finalExpand),
      featureMix: variable('feature_mix_layer.conv.weight', [head.spec.featureMix.cout, head.spec.featureMix.cin, 1, 1], head.featureMix, true) as tf.Tensor as tf.Tensor2D,
      classifierW: variable('classifier.linear.weight', [head.spec.classifier.cout, head.spec.classifier.cin], head.classifierWeight, true) as tf.Tensor as tf.Tensor2D,
      classifierB: variable('classifier.linear.bias', [head.spec.classifier.cout], head.classifierBias, false) as tf.Tensor as tf.Tensor1D,
    };
  }

  decays(name: string): boolean {
    return this.decay.has(name);
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let nextId = 0;
