/**
 * SGD with Nesterov momentum and decoupled-from-BN weight decay, exactly PyTorch's `torch.optim.SGD`
 * update (no dampening): d = g + wd * p; buf = m * buf + d (buf = d on the first step);
 * d = d + m * buf; p -= lr * d. It runs on plain Float32Arrays: one read of the gradients and one
 * write per tensor instead of several small kernels per tensor. As with PyTorch's zero_grad (which
 * keeps zero tensors), a tensor that has had a gradient once keeps being updated (momentum, decay)
 * in steps where no sampled subnet touches it; tensors never touched are left alone.
 */
import * as tf from '@tensorflow/tfjs';

/** Trainable tensors by name, and whether weight decay applies to each. */
export interface ParamSet {
  readonly vars: ReadonlyMap<string, tf.Variable>;
  decays(name: string): boolean;
}

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export const REFERENCE_SGD: SgdOptions = { momentum: 0.9, weightDecay: 3e-5, nesterov: true };

export class Sgd {
  private readonly values = new Map<string, Float32Array>();
  private readonly buffers = new Map<string, Float32Array>();

  constructor(
    private readonly params: ParamSet,
    private readonly opts: SgdOptions = REFERENCE_SGD,
  ) {}

  /** Applies one update; `grads` holds the summed gradients of this step (tfjs layout). */
  step(grads: ReadonlyMap<string, Float32Array>, lr: number): void {
    const { momentum, weightDecay, nesterov } = this.opts;
    for (const [name, variable] of this.params.vars) {
      const g = grads.get(name);
      let buf = this.buffers.get(name);
      if (!g && !buf) continue;
      let p = this.values.get(name);
      if (!p) {
        p = (variable.dataSync() as Float32Array).slice();
        this.values.set(name, p);
      }
      const wd = this.params.decays(name) ? weightDecay : 0;
      const first = !buf;
      if (!buf) {
        buf = new Float32Array(p.length);
        this.buffers.set(name, buf);
      }
      for (let i = 0; i < p.length; i++) {
        const d = (g ? g[i] : 0) + wd * p[i];
        const b = first ? d : momentum * buf[i] + d;
        buf[i] = b;
        p[i] -= lr * (nesterov ? d + momentum * b : b);
      }
      // assign() shares the new tensor's data: dispose the handle or every step leaks a copy.
      const value = tf.tensor(p, variable.shape);
      variable.assign(value);
      value.dispose();
    }
  }
}
