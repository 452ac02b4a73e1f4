/**
 * The supernet's weights as TensorFlow.js variables, keyed by the reference state_dict names of
 * models/supernet-tensors.ts. Trainable tensors are tf.Variables in tfjs layouts; BN running
 * statistics stay plain Float32Arrays (they are updated outside the gradient tape and never
 * trained). Conversion to and from checkpoints (PyTorch layouts) goes through layout.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { SpaceDef } from '../../core/space';
import { inMemoryWeights } from '../../models/random-weights';
import { supernetTensors, type SupernetWeights } from '../../models/supernet-tensors';
import { layoutOf, tfToTorch, torchToTf, type TensorLayout } from './layout';

export interface ParamInfo {
  name: string;
  layout: TensorLayout;
  /** Weight decay applies (not to BN and biases, reference `no_decay_keys = "bn#bias"`). */
  decay: boolean;
}

function isRunningStat(name: string): boolean {
  return name.endsWith('.running_mean') || name.endsWith('.running_var');
}

export class SupernetParams {
  readonly space: SpaceDef;
  /** Trainable tensors in tfjs layout, in state_dict order. */
  readonly vars = new Map<string, tf.Variable>();
  readonly info = new Map<string, ParamInfo>();
  /** BN running statistics (running_mean / running_var), by full name. */
  readonly running = new Map<string, Float32Array>();

  private constructor(space: SpaceDef) {
    this.space = space;
  }

  /** Loads any weight source (random init, a checkpoint, another trainer's state). */
  static fromWeights(weights: SupernetWeights, trainable = true): SupernetParams {
    const params = new SupernetParams(weights.space);
    for (const spec of supernetTensors(weights.space)) {
      const data = weights.tensor(spec.name);
      if (isRunningStat(spec.name)) {
        params.running.set(spec.name, data.slice());
        continue;
      }
      const layout = layoutOf(spec.name, spec.shape);
      const decay = !(spec.name.includes('.bn.') || spec.name.endsWith('.bias'));
      params.info.set(spec.name, { name: spec.name, layout, decay });
      const initial = tf.tensor(torchToTf(layout, data), layout.tfShape);
      params.vars.set(spec.name, tf.variable(initial, trainable, `${spec.name}#${nextId++}`));
      initial.dispose();
    }
    return params;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`supernet has no trainable tensor "${name}"`);
    return v;
  }

  decays(name: string): boolean {
    return this.info.get(name)?.decay ?? false;
  }

  runningStat(name: string): Float32Array {
    const r = this.running.get(name);
    if (!r) throw new Error(`supernet has no running statistic "${name}"`);
    return r;
  }

  /** Every tensor in PyTorch layout (for checkpoints and ONNX export). */
  toTensors(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const spec of supernetTensors(this.space)) {
      if (isRunningStat(spec.name)) out.set(spec.name, this.runningStat(spec.name).slice());
      else out.set(spec.name, tfToTorch(this.info.get(spec.name)!.layout, this.get(spec.name).dataSync() as Float32Array));
    }
    return out;
  }

  toWeights(source: string): SupernetWeights {
    return inMemoryWeights(this.space, this.toTensors(), source);
  }

  /** Overwrites every tensor from PyTorch-layout values (e.g. after channel sorting). */
  assignTensors(tensors: ReadonlyMap<string, Float32Array>): void {
    for (const [name, data] of tensors) {
      if (isRunningStat(name)) this.runningStat(name).set(data);
      else {
        const info = this.info.get(name);
        if (!info) throw new Error(`supernet has no tensor "${name}"`);
        const value = tf.tensor(torchToTf(info.layout, data), info.layout.tfShape);
        this.get(name).assign(value);
        value.dispose();
      }
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

// tf.variable names must be unique per process; several supernets (student, teacher) coexist.
let nextId = 0;
