/**
 * Tensors as PyTorch stores them: a typed storage (raw bytes of one dtype) and a view into it
 * (offset, size, stride, all in elements). Values are read lazily, so the parts of a checkpoint
 * nobody asks for (optimizer state, say) cost nothing; float16/bfloat16/float64 and integer
 * storages are converted to float32, and non-contiguous views are copied in order.
 */
import { ValidationError } from '../../core/errors';

export interface DtypeInfo {
  /** PyTorch's name: float32, float16, ... */
  name: string;
  bytes: number;
  /** Whether the farm can read it as float32 (bool and complex cannot be weights). */
  numeric: boolean;
}

const DTYPES: Record<string, DtypeInfo> = {
  float32: { name: 'float32', bytes: 4, numeric: true },
  float64: { name: 'float64', bytes: 8, numeric: true },
  float16: { name: 'float16', bytes: 2, numeric: true },
  bfloat16: { name: 'bfloat16', bytes: 2, numeric: true },
  int64: { name: 'int64', bytes: 8, numeric: true },
  int32: { name: 'int32', bytes: 4, numeric: true },
  int16: { name: 'int16', bytes: 2, numeric: true },
  int8: { name: 'int8', bytes: 1, numeric: true },
  uint8: { name: 'uint8', bytes: 1, numeric: true },
  bool: { name: 'bool', bytes: 1, numeric: false },
};

/** `torch.FloatStorage` and friends, by class name. */
export const STORAGE_CLASSES: Record<string, string> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

/** `torch.float32` and friends (the dtype globals of `_rebuild_tensor_v3`), by attribute name. */
export const DTYPE_ATTRIBUTES: Record<string, string> = {
  float32: 'float32',
  float: 'float32',
  float64: 'float64',
  double: 'float64',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

export function dtypeInfo(name: string): DtypeInfo {
  const info = DTYPES[name];
  if (!info) throw new ValidationError(`unsupported tensor dtype ${name}`);
  return info;
}

/** Where a storage's bytes come from: resolved on first use (a zip entry, a legacy file section). */
export type StorageBytes = () => Uint8Array;

export class TorchStorage {
  private cached: Uint8Array | null = null;
  constructor(
    readonly key: string,
    readonly dtype: DtypeInfo,
    /** Number of elements the pickle declares. */
    readonly numel: number,
    private readonly load: StorageBytes,
    readonly littleEndian = true,
  ) {}

  bytes(): Uint8Array {
    if (!this.cached) {
      const bytes = this.load();
      if (bytes.length < this.numel * this.dtype.bytes) {
        throw new ValidationError(`storage "${this.key}" holds ${bytes.length} bytes, but ${this.numel} ${this.dtype.name} values need ${this.numel * this.dtype.bytes}: the file is truncated or corrupt`);
      }
      this.cached = bytes;
    }
    return this.cached;
  }

  toString(): string {
    return `a ${this.dtype.name} storage of ${this.numel}`;
  }
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkDims(values: readonly number[], what: string): void {
  for (const v of values) if (!Number.isSafeInteger(v) || v < 0) throw new ValidationError(`a tensor ${what} holds ${v}, not a non-negative integer`);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Reads element `index` of a storage as a JS number. */
function elementReader(storage: TorchStorage): (index: number) => number {
  const bytes = storage.bytes();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = storage.littleEndian;
  switch (storage.dtype.name) {
    case 'float32':
      return (i) => view.getFloat32(i * 4, le);
    case 'float64':
      return (i) => view.getFloat64(i * 8, le);
    case 'float16':
      return (i) => halfToFloat(view.getUint16(i * 2, le));
    case 'bfloat16': {
      const scratch = new DataView(new ArrayBuffer(4));
      return (i) => {
        scratch.setUint32(0, view.getUint16(i * 2, le) << 16);
        return scratch.getFloat32(0);
      };
    }
    case 'int64':
      return (i) => Number(view.getBigInt64(i * 8, le));
    case 'int32':
      return (i) => view.getInt32(i * 4, le);
    case 'int16':
      return (i) => view.getInt16(i * 2, le);
    case 'int8':
      return (i) => view.getInt8(i);
    case 'uint8':
    case 'bool':
      return (i) => view.getUint8(i);
    default:
      throw new ValidationError(`unsupported tensor dtype ${storage.dtype.name}`);
  }
}

export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    /** In elements. */
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    checkDims(shape, 'size');
    checkDims(stride, 'stride');
    checkDims([offset], 'storage offset');
    if (shape.length !== stride.length) throw new ValidationError(`a tensor has ${shape.length} sizes but ${stride.length} strides`);
    const numel = numelOf(shape);
    if (numel > 0) {
      const last = offset + shape.reduce((sum, s, i) => sum + (s - 1) * stride[i], 0);
      if (last >= storage.numel) {
        throw new ValidationError(`a tensor of shape [${shape.join(', ')}] reaches element ${last} of storage "${storage.key}", which holds ${storage.numel}`);
      }
    }
  }

  get dtype(): string {
    return this.storage.dtype.name;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  isContiguous(): boolean {
    let expected = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.stride[d] !== expected) return false;
      expected *= this.shape[d];
    }
    return true;
  }

  /**
   * The values in row-major order as float32. A contiguous little-endian float32 view on an
   * aligned buffer is returned without a copy: treat the result as read-only.
   */
  toFloat32(): Float32Array {
    if (!this.storage.dtype.numeric) throw new ValidationError(`a ${this.dtype} tensor cannot be read as numbers`);
    const n = this.numel;
    const bytes = this.storage.bytes();
    if (this.dtype === 'float32' && this.isContiguous() && this.storage.littleEndian && LITTLE_ENDIAN_HOST) {
      const at = bytes.byteOffset + this.offset * 4;
      if (at % 4 === 0) return new Float32Array(bytes.buffer, at, n);
      const aligned = new Uint8Array(n * 4);
      aligned.set(bytes.subarray(this.offset * 4, this.offset * 4 + n * 4));
      return new Float32Array(aligned.buffer);
    }
    const read = elementReader(this.storage);
    const out = new Float32Array(n);
    if (this.isContiguous()) {
      for (let i = 0; i < n; i++) out[i] = read(this.offset + i);
      return out;
    }
    const dims = this.shape.length;
    const index = new Array<number>(dims).fill(0);
    let source = this.offset;
    for (let i = 0; i < n; i++) {
      out[i] = read(source);
      for (let d = dims - 1; d >= 0; d--) {
        index[d]++;
        source += this.stride[d];
        if (index[d] < this.shape[d]) break;
        source -= this.stride[d] * this.shape[d];
        index[d] = 0;
      }
    }
    return out;
  }

  toString(): string {
    return `a ${this.dtype} tensor of shape [${this.shape.join(', ')}]`;
  }
}
