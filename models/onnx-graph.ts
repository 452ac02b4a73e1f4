/**
 * A small ONNX graph builder: float32 initializers, nodes with typed attributes, one input and
 * one output. Names are given by the caller, so the same calls always build the same bytes.
 */
import { ATTR, ONNX_FLOAT, encodeModel, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx-proto';

/** Opset 17: has HardSwish (14+) and HardSigmoid; every runtime of the farm supports it. */
export const OPSET = 17;
/** IR version 8 is the one that goes with opset 17. */
export const IR_VERSION = 8;

export type AttrValue = number | number[] | string | { float: number };

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function attribute(name: string, value: AttrValue): OnnxAttribute {
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: ATTR.INTS, ints: value };
  if (typeof value === 'object') return { name, type: ATTR.FLOAT, f: value.float };
  if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer; use {float: x} for floats`);
  return { name, type: ATTR.INT, i: value };
}

function valueInfo(name: string, dims: readonly number[]): OnnxValueInfo {
  return { name, type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } };
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly names = new Set<string>();
  private inputs: OnnxValueInfo[] = [];
  private outputs: OnnxValueInfo[] = [];
  /** Number of float values stored in initializers. */
  weightCount = 0;

  constructor(readonly name: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate ONNX value name "${name}"`);
    this.names.add(name);
    return name;
  }

  input(name: string, dims: readonly number[]): string {
    this.inputs.push(valueInfo(this.claim(name), dims));
    return name;
  }

  output(name: string, dims: readonly number[]): void {
    if (!this.names.has(name)) throw new Error(`graph output "${name}" is not produced by any node`);
    this.outputs.push(valueInfo(name, dims));
  }

  /** Adds a float32 constant; the data must already have `dims` elements. */
  initializer(name: string, dims: readonly number[], data: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(', ')}]`);
    this.initializers.push({ name: this.claim(name), dims: [...dims], data_type: ONNX_FLOAT, raw_data: littleEndianBytes(data) });
    this.weightCount += count;
    return name;
  }

  /** Adds a node whose single output is named `output`; returns that name. */
  node(op: string, inputs: readonly string[], output: string, attrs: Record<string, AttrValue> = {}): string {
    for (const input of inputs) if (!this.names.has(input)) throw new Error(`node ${output} (${op}) reads unknown value "${input}"`);
    this.nodes.push({
      name: output,
      op_type: op,
      input: [...inputs],
      output: [this.claim(output)],
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
    });
    return output;
  }

  toModel(metadata: Record<string, string>, producerVersion: string): OnnxModel {
    if (this.inputs.length === 0 || this.outputs.length === 0) throw new Error(`graph ${this.name} needs an input and an output`);
    return {
      ir_version: IR_VERSION,
      opset_import: [{ domain: '', version: OPSET }],
      producer_name: 'ofa-farm',
      producer_version: producerVersion,
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
      metadata_props: Object.keys(metadata)
        .sort()
        .map((key) => ({ key, value: metadata[key] })),
    };
  }

  encode(metadata: Record<string, string>, producerVersion: string): Uint8Array {
    return encodeModel(this.toModel(metadata, producerVersion));
  }
}
