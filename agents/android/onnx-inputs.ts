/**
 * Reads the graph inputs of an ONNX model (names, element types, dims) straight from the
 * protobuf wire format, so the host agent can check a job against its model before pushing it to
 * a phone: onnxruntime_perf_test feeds inputs of the model's own shape and knows no input names.
 * Throws an Error naming the problem when the bytes are not a well-formed ModelProto.
 */

export interface OnnxInput {
  name: string;
  /** TensorProto.DataType (1 = float32). */
  elemType: number;
  /** A number for a fixed dim, a string for a symbolic one, null when unknown. */
  dims: Array<number | string | null>;
}

const ELEM_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };

export function elemTypeName(type: number): string {
  return ELEM_TYPES[type] ?? `type ${type}`;
}

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function* fields(buf: Uint8Array, what: string): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new Error(`${what}: truncated varint`);
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new Error(`${what}: varint longer than 10 bytes`);
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (no === 0) throw new Error(`${what}: field number 0`);
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > buf.length) throw new Error(`${what}: truncated fixed-size field`);
      pos += size;
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error(`${what}: field ${no} claims ${len} bytes, only ${buf.length - pos} left (truncated file?)`);
      yield { no, wire, value: buf.subarray(pos, pos + len) };
      pos += len;
    } else {
      throw new Error(`${what}: unsupported wire type ${wire} (not protobuf?)`);
    }
  }
}

const text = (v: bigint | Uint8Array) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : '');
const bytes = (v: bigint | Uint8Array) => (v instanceof Uint8Array ? v : new Uint8Array());

function readValueInfo(buf: Uint8Array): OnnxInput {
  const input: OnnxInput = { name: '', elemType: 0, dims: [] };
  for (const f of fields(buf, 'ValueInfoProto')) {
    if (f.no === 1 && f.wire === 2) input.name = text(f.value);
    if (f.no !== 2 || f.wire !== 2) continue;
    for (const t of fields(bytes(f.value), 'TypeProto')) {
      if (t.no !== 1 || t.wire !== 2) continue;
      for (const tensor of fields(bytes(t.value), 'TypeProto.Tensor')) {
        if (tensor.no === 1 && tensor.wire === 0) input.elemType = Number(tensor.value);
        if (tensor.no !== 2 || tensor.wire !== 2) continue;
        for (const dim of fields(bytes(tensor.value), 'TensorShapeProto')) {
          if (dim.no !== 1 || dim.wire !== 2) continue;
          let value: number | string | null = null;
          for (const d of fields(bytes(dim.value), 'Dimension')) {
            if (d.no === 1 && d.wire === 0) value = Number(BigInt.asIntN(64, d.value as bigint));
            if (d.no === 2 && d.wire === 2) value = text(d.value);
          }
          input.dims.push(value);
        }
      }
    }
  }
  return input;
}

/** The model's real inputs (graph inputs that are not initializers), in order. */
export function readOnnxInputs(model: Uint8Array): OnnxInput[] {
  if (model.length === 0) throw new Error('the model file is empty');
  let graph: Uint8Array | null = null;
  for (const f of fields(model, 'ModelProto')) if (f.no === 7 && f.wire === 2) graph = bytes(f.value);
  if (!graph) throw new Error('not an ONNX model: no graph in the ModelProto');
  const inputs: OnnxInput[] = [];
  const initializers = new Set<string>();
  for (const f of fields(graph, 'GraphProto')) {
    if (f.no === 11 && f.wire === 2) inputs.push(readValueInfo(bytes(f.value)));
    if (f.no === 5 && f.wire === 2) {
      for (const t of fields(bytes(f.value), 'TensorProto')) if (t.no === 8 && t.wire === 2) initializers.add(text(t.value));
    }
  }
  const real = inputs.filter((i) => !initializers.has(i.name));
  if (real.length === 0) throw new Error('not an ONNX model this agent can feed: the graph has no inputs');
  return real;
}

/**
 * Checks a job's input against the model. Returns the `-f name:value` free-dimension overrides
 * the tool needs for symbolic dims; throws an Error naming the mismatch.
 */
export function checkJobInput(inputs: OnnxInput[], inputName: string, shape: readonly number[]): Map<string, number> {
  const input = inputs.find((i) => i.name === inputName);
  if (!input) throw new Error(`the model has no input "${inputName}"; its inputs are: ${inputs.map((i) => i.name).join(', ')}`);
  if (inputs.length > 1) throw new Error(`the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); this agent feeds one`);
  if (input.elemType !== 1) throw new Error(`input "${inputName}" is ${elemTypeName(input.elemType)}; this agent feeds float32`);
  const overrides = new Map<string, number>();
  const mismatch = () => new Error(`input "${inputName}" has shape [${input.dims.map((d) => d ?? '?').join(', ')}], the job asks for [${shape.join(', ')}]`);
  if (input.dims.length !== shape.length) throw mismatch();
  input.dims.forEach((d, i) => {
    if (typeof d === 'number' && d > 0 && d !== shape[i]) throw mismatch();
    if (typeof d === 'string' && d !== '') {
      if (overrides.has(d) && overrides.get(d) !== shape[i]) throw mismatch();
      overrides.set(d, shape[i]);
    }
  });
  return overrides;
}
