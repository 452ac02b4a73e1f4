/**
 * Mini-batch training of an MLP regressor (one output) with mean-squared error and Adam, as
 * PyTorch's `torch.optim.Adam(params, lr, weight_decay)` does it: the L2 term is added to the
 * gradient (not decoupled as in AdamW) and applies to weights and biases alike.
 */
import type { Rng } from '../core/rng';
import { matmulABt, transpose } from './matmul';
import { invalidateMlpCaches, mlpForward, mlpOutputs, type Mlp } from './mlp';

export interface MlpTrainOptions {
  epochs: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  rng: Rng;
  /** Added to the network output (the reference's non-trainable `base_acc`). */
  outputOffset?: number;
  sparseInput?: boolean;
  /** Called after every epoch with the mean training loss; return false to stop early. */
  onEpoch?: (epoch: number, loss: number) => boolean | void;
}

interface AdamSlot {
  param: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

function adamSlots(mlp: Mlp): AdamSlot[] {
  const slots: AdamSlot[] = [];
  for (const layer of mlp.layers) {
    for (const param of [layer.weight, layer.bias]) {
      if (!param) continue;
      slots.push({ param, grad: new Float32Array(param.length), m: new Float32Array(param.length), v: new Float32Array(param.length) });
    }
  }
  return slots;
}

function adamStep(slots: AdamSlot[], step: number, lr: number, weightDecay: number): void {
  const c1 = 1 - BETA1 ** step;
  const c2 = 1 - BETA2 ** step;
  for (const { param, grad, m, v } of slots) {
    for (let i = 0; i < param.length; i++) {
      const g = grad[i] + weightDecay * param[i];
      m[i] = BETA1 * m[i] + (1 - BETA1) * g;
      v[i] = BETA2 * v[i] + (1 - BETA2) * g * g;
      param[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + EPS);
    }
  }
}

/** Fills the slots' gradients for one batch; returns the batch's mean squared error. */
function backward(mlp: Mlp, slots: AdamSlot[], x: Float32Array, y: Float32Array, b: number, offset: number, sparseInput: boolean): number {
  const { output, trace } = mlpForward(mlp, x, b, { trace: true, sparseInput });
  const acts = trace!.activations;
  let dZ: Float32Array = new Float32Array(b);
  let loss = 0;
  for (let i = 0; i < b; i++) {
    const err = output[i] + offset - y[i];
    loss += err * err;
    dZ[i] = (2 * err) / b;
  }
  let slot = slots.length;
  for (let l = mlp.layers.length - 1; l >= 0; l--) {
    const layer = mlp.layers[l];
    const input = acts[l];
    const dZt = transpose(dZ, b, layer.outputs);
    const inputT = transpose(input, b, layer.inputs);
    if (layer.bias) {
      const gb = slots[--slot].grad;
      gb.fill(0);
      for (let i = 0; i < b; i++) for (let j = 0; j < layer.outputs; j++) gb[j] += dZ[i * layer.outputs + j];
    }
    matmulABt(dZt, inputT, layer.outputs, b, layer.inputs, slots[--slot].grad);
    if (l === 0) break;
    const wt = transpose(layer.weight, layer.outputs, layer.inputs);
    const dA = matmulABt(dZ, wt, b, layer.outputs, layer.inputs);
    for (let i = 0; i < dA.length; i++) if (input[i] <= 0) dA[i] = 0;
    dZ = dA;
  }
  return loss / b;
}

/**
 * Trains `mlp` in place on rows x[n, inputs] with targets y[n]. Returns the mean training loss of
 * every epoch. Deterministic for a given rng.
 */
export function trainMlp(mlp: Mlp, x: Float32Array, y: Float32Array, n: number, options: MlpTrainOptions): number[] {
  if (mlpOutputs(mlp) !== 1) throw new RangeError('trainMlp trains regressors with one output');
  const inputs = mlp.layers[0].inputs;
  if (x.length !== n * inputs || y.length !== n) throw new RangeError(`training data must be ${n} x ${inputs} inputs and ${n} targets`);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 256, n));
  const lr = options.lr ?? 1e-3;
  const weightDecay = options.weightDecay ?? 1e-4;
  const offset = options.outputOffset ?? 0;
  const slots = adamSlots(mlp);
  const batchX = new Float32Array(batchSize * inputs);
  const batchY = new Float32Array(batchSize);
  const losses: number[] = [];
  let step = 0;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const shuffled = options.rng.shuffle(order);
    let total = 0;
    for (let start = 0; start < n; start += batchSize) {
      const b = Math.min(batchSize, n - start);
      const bx = b === batchSize ? batchX : new Float32Array(b * inputs);
      const by = b === batchSize ? batchY : new Float32Array(b);
      for (let i = 0; i < b; i++) {
        const row = shuffled[start + i];
        bx.set(x.subarray(row * inputs, (row + 1) * inputs), i * inputs);
        by[i] = y[row];
      }
      total += backward(mlp, slots, bx, by, b, offset, options.sparseInput ?? false) * b;
      adamStep(slots, ++step, lr, weightDecay);
      invalidateMlpCaches(mlp);
    }
    losses.push(total / n);
    if (options.onEpoch?.(epoch, total / n) === false) break;
  }
  return losses;
}
