/**
 * A small multi-layer perceptron in plain TypeScript (typed arrays, no TensorFlow.js), so the
 * server can load and run accuracy predictors anywhere. Layers are `Linear` as in PyTorch
 * (weight [outputs, inputs], optional bias) with ReLU between them and none after the last.
 */
import type { Rng } from '../core/rng';
import { matmulABt, sparseMatmulABt, transpose } from './matmul';

export interface DenseLayer {
  inputs: number;
  outputs: number;
  /** Row-major [outputs, inputs], the layout of a PyTorch `nn.Linear.weight`. */
  weight: Float32Array;
  bias: Float32Array | null;
}

export interface Mlp {
  layers: DenseLayer[];
}

/** JSON form of a layer: float32 little-endian values, base64 (a 3 x 400 MLP is ~2.9 MB, not ~10 MB of decimals). */
export interface DenseLayerJson {
  inputs: number;
  outputs: number;
  weight: string;
  bias: string | null;
}

export function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return Buffer.from(bytes).toString('base64');
}

export function float32FromBase64(text: string, what: string): Float32Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new RangeError(`${what} is not base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) throw new RangeError(`${what} has ${bytes.length} bytes, not a whole number of float32 values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * PyTorch's default `nn.Linear` initialisation: weight and bias uniform in ±1/sqrt(inputs)
 * (kaiming_uniform with a = sqrt(5) reduces to that bound).
 */
export function createMlp(sizes: readonly number[], rng: Rng, bias: (layer: number) => boolean = () => true): Mlp {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`an MLP needs at least an input and an output size, all positive integers; got [${sizes.join(', ')}]`);
  }
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l];
    const outputs = sizes[l + 1];
    const bound = 1 / Math.sqrt(inputs);
    const weight = new Float32Array(inputs * outputs);
    for (let i = 0; i < weight.length; i++) weight[i] = (2 * rng.next() - 1) * bound;
    let b: Float32Array | null = null;
    if (bias(l)) {
      b = new Float32Array(outputs);
      for (let i = 0; i < outputs; i++) b[i] = (2 * rng.next() - 1) * bound;
    }
    layers.push({ inputs, outputs, weight, bias: b });
  }
  return { layers };
}

export function mlpInputs(mlp: Mlp): number {
  return mlp.layers[0].inputs;
}

export function mlpOutputs(mlp: Mlp): number {
  return mlp.layers[mlp.layers.length - 1].outputs;
}

function addBias(out: Float32Array, bias: Float32Array | null, n: number, m: number): void {
  if (!bias) return;
  for (let i = 0; i < n; i++) {
    const row = i * m;
    for (let j = 0; j < m; j++) out[row + j] += bias[j];
  }
}

function relu(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0;
}

/** Per-layer cache of the transposed first weight, for the sparse path. */
const transposedFirst = new WeakMap<Float32Array, Float32Array>();

function firstLayerTransposed(layer: DenseLayer): Float32Array {
  let wt = transposedFirst.get(layer.weight);
  if (!wt) {
    wt = transpose(layer.weight, layer.outputs, layer.inputs);
    transposedFirst.set(layer.weight, wt);
  }
  return wt;
}

export interface ForwardTrace {
  /** activations[0] is the input; activations[l + 1] the output of layer l (after ReLU if hidden). */
  activations: Float32Array[];
}

/**
 * Forward pass of n rows. `sparseInput` takes the one-hot fast path for the first layer.
 * Returns the output [n, outputs] and, on request, every layer's activation (for training).
 */
export function mlpForward(mlp: Mlp, x: Float32Array, n: number, options: { sparseInput?: boolean; trace?: boolean } = {}): { output: Float32Array; trace: ForwardTrace | null } {
  if (x.length !== n * mlpInputs(mlp)) throw new RangeError(`MLP input has ${x.length} values, expected ${n} x ${mlpInputs(mlp)}`);
  const activations: Float32Array[] = [x];
  let current = x;
  mlp.layers.forEach((layer, l) => {
    const out =
      l === 0 && options.sparseInput
        ? sparseMatmulABt(current, firstLayerTransposed(layer), n, layer.inputs, layer.outputs)
        : matmulABt(current, layer.weight, n, layer.inputs, layer.outputs);
    addBias(out, layer.bias, n, layer.outputs);
    if (l + 1 < mlp.layers.length) relu(out);
    activations.push(out);
    current = out;
  });
  return { output: current, trace: options.trace ? { activations } : null };
}

/** Forgets cached derived data after weights change in place (training). */
export function invalidateMlpCaches(mlp: Mlp): void {
  transposedFirst.delete(mlp.layers[0].weight);
}

export function mlpToJson(mlp: Mlp): DenseLayerJson[] {
  return mlp.layers.map((layer) => ({
    inputs: layer.inputs,
    outputs: layer.outputs,
    weight: float32ToBase64(layer.weight),
    bias: layer.bias ? float32ToBase64(layer.bias) : null,
  }));
}

/** Rebuilds an MLP from JSON, checking that every shape agrees with its neighbours. */
export function mlpFromJson(layers: readonly DenseLayerJson[]): Mlp {
  if (layers.length === 0) throw new RangeError('an MLP needs at least one layer');
  const out: DenseLayer[] = layers.map((layer, l) => {
    const weight = float32FromBase64(layer.weight, `layer ${l} weight`);
    const bias = layer.bias === null ? null : float32FromBase64(layer.bias, `layer ${l} bias`);
    if (weight.length !== layer.inputs * layer.outputs) {
      throw new RangeError(`layer ${l}: weight has ${weight.length} values, expected ${layer.outputs} x ${layer.inputs}`);
    }
    if (bias && bias.length !== layer.outputs) throw new RangeError(`layer ${l}: bias has ${bias.length} values, expected ${layer.outputs}`);
    if (l > 0 && layers[l - 1].outputs !== layer.inputs) {
      throw new RangeError(`layer ${l} takes ${layer.inputs} inputs but layer ${l - 1} gives ${layers[l - 1].outputs}`);
    }
    if (!weight.every(Number.isFinite) || (bias && !bias.every(Number.isFinite))) throw new RangeError(`layer ${l}: weights must be finite numbers`);
    return { inputs: layer.inputs, outputs: layer.outputs, weight, bias };
  });
  return { layers: out };
}
