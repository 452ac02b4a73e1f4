/**
 * Writes float32 state dicts in `torch.save`'s zip format (what PyTorch >= 1.6 writes and
 * `torch.load` reads): `archive/data.pkl` (protocol 2: an OrderedDict of
 * `torch._utils._rebuild_tensor_v2` calls over persistent storage ids), `archive/data/<i>`
 * (raw little-endian bytes, stored), `archive/version` and `archive/byteorder`. It gives farm
 * weights back to PyTorch and lets tests and benchmarks make `.pth` files without Python.
 */
import { zipSync } from 'fflate';

export interface SaveTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** A value `torchSave` can write: tensors, nested dicts, and a few plain scalars. */
export type SaveValue = SaveTensor | SaveDict | string | number | boolean | null;
export interface SaveDict {
  [key: string]: SaveValue;
}

class PickleWriter {
  private chunks: number[] = [];
  readonly storages: Float32Array[] = [];

  byte(...values: number[]): void {
    for (const v of values) this.chunks.push(v);
  }

  uint32(v: number): void {
    this.byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }

  string(text: string): void {
    const utf8 = new TextEncoder().encode(text);
    this.byte(0x58); // BINUNICODE
    this.uint32(utf8.length);
    for (const b of utf8) this.chunks.push(b);
  }

  int(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 256) this.byte(0x4b, v); // BININT1
    else if (Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) {
      this.byte(0x4a); // BININT
      this.uint32(v >>> 0);
    } else {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, v, false);
      this.byte(0x47, ...new Uint8Array(view.buffer)); // BINFLOAT
    }
  }

  global(module: string, name: string): void {
    this.byte(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)); // GLOBAL
  }

  intTuple(values: readonly number[]): void {
    this.byte(0x28); // MARK
    for (const v of values) this.int(v);
    this.byte(0x74); // TUPLE
  }

  tensor(t: SaveTensor): void {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new RangeError(`a tensor of shape [${t.shape.join(', ')}] needs ${numel} values, got ${t.data.length}`);
    const key = String(this.storages.length);
    this.storages.push(t.data);
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.byte(0x28); // MARK (arguments)
    this.byte(0x28); // MARK (persistent id)
    this.string('storage');
    this.global('torch', 'FloatStorage');
    this.string(key);
    this.string('cpu');
    this.int(numel);
    this.byte(0x74, 0x51); // TUPLE, BINPERSID
    this.int(0);
    this.intTuple(t.shape);
    this.intTuple(stride);
    this.byte(0x89); // NEWFALSE (requires_grad)
    this.global('collections', 'OrderedDict');
    this.byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE (backward hooks)
    this.byte(0x74, 0x52); // TUPLE, REDUCE
  }

  value(v: SaveValue): void {
    if (v === null) this.byte(0x4e);
    else if (typeof v === 'boolean') this.byte(v ? 0x88 : 0x89);
    else if (typeof v === 'number') this.int(v);
    else if (typeof v === 'string') this.string(v);
    else if ('data' in v && v.data instanceof Float32Array) this.tensor(v as SaveTensor);
    else this.dict(v as SaveDict);
  }

  dict(d: SaveDict): void {
    this.global('collections', 'OrderedDict');
    this.byte(0x29, 0x52, 0x28); // EMPTY_TUPLE, REDUCE, MARK
    for (const [key, value] of Object.entries(d)) {
      this.string(key);
      this.value(value);
    }
    this.byte(0x75); // SETITEMS
  }

  finish(root: SaveValue): Uint8Array {
    this.chunks = [0x80, 0x02];
    this.value(root);
    this.byte(0x2e); // STOP
    return Uint8Array.from(this.chunks);
  }
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of `torch.save(root, "<archive>.pth")` for a dict of float32 tensors. */
export function torchSave(root: SaveDict, archive = 'archive'): Uint8Array {
  const writer = new PickleWriter();
  const pickle = writer.finish(root);
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  const stored = { level: 0 as const };
  files[`${archive}/data.pkl`] = [pickle, stored];
  files[`${archive}/byteorder`] = [new TextEncoder().encode('little'), stored];
  writer.storages.forEach((data, i) => {
    const bytes = LITTLE_ENDIAN_HOST ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : littleEndianBytes(data);
    files[`${archive}/data/${i}`] = [bytes, stored];
  });
  files[`${archive}/version`] = [new TextEncoder().encode('3\n'), stored];
  return zipSync(files);
}
