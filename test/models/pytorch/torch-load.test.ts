/**
 * `torch.load` without Python on files PyTorch itself wrote (test/fixtures/pytorch, made by
 * make-fixtures.py with torch 1.13): both formats, every storage dtype, non-contiguous and
 * offset views, shared storages, nested metadata; and a clear ValidationError for truncated,
 * corrupt and foreign files, whole pickled modules and TorchScript archives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors';
import { PyDict, PyTuple } from '../../../models/pytorch/py-values';
import { locateStateDict } from '../../../models/pytorch/state-dict';
import { TorchTensor } from '../../../models/pytorch/tensor';
import { loadTorchFile } from '../../../models/pytorch/torch-load';
import { torchSave } from '../../../models/pytorch/torch-save';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'pytorch');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
/** As `readFile` gives it: a Node Buffer, possibly at an unaligned offset of a shared pool. */
function asBuffer(bytes: Uint8Array, shift: number): Buffer {
  const pool = Buffer.alloc(bytes.length + shift);
  pool.set(bytes, shift);
  return pool.subarray(shift);
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'dtypes.json'), 'utf8')) as Record<string, { shape: number[]; values: number[]; dtype: string }>;

function weightsOf(bytes: Uint8Array, label: string): PyDict {
  return locateStateDict(loadTorchFile(bytes, label).root, label).dict;
}

describe.each([
  ['dtypes.pth', 'zip'],
  ['dtypes-legacy.pth', 'legacy'],
])('%s (torch.save, %s format)', (file, format) => {
  const bytes = fixture(file);

  it(`is read as the ${format} format with its nested metadata`, () => {
    const loaded = loadTorchFile(bytes, file);
    expect(loaded.format).toBe(format);
    const meta = (loaded.root as PyDict).get('meta') as PyDict;
    expect(meta.get('epoch')).toBe(3);
    expect(meta.get('lr')).toBe(0.25);
    expect(meta.get('name')).toBe('fixture');
    expect(meta.get('flags')).toEqual([true, false, null]);
    expect((meta.get('pair') as PyTuple).items).toEqual([1, 'x']);
    expect(meta.get('big')).toBe(2n ** 70n);
    expect(meta.get('neg')).toBe(-5);
    expect(meta.get('bytes')).toEqual(Uint8Array.from([0, 1]));
  });

  it.each([0, 1, 3])('rebuilds every tensor (all dtypes, strides, offsets, shared storage) as float32 (input at byte offset %i)', (shift) => {
    const { dict, where } = locateStateDict(loadTorchFile(asBuffer(bytes, shift), file).root, file);
    expect(where).toBe('"weights"');
    expect([...dict.entries.keys()]).toEqual(Object.keys(expected));
    for (const [name, want] of Object.entries(expected)) {
      const tensor = dict.get(name) as TorchTensor;
      expect(tensor, name).toBeInstanceOf(TorchTensor);
      expect(tensor.dtype, name).toBe(want.dtype);
      expect([...tensor.shape], name).toEqual(want.shape);
      expect(Array.from(tensor.toFloat32()), name).toEqual(want.values.map((v) => Math.fround(v)));
    }
    const transposed = dict.get('transposed') as TorchTensor;
    expect(transposed.isContiguous()).toBe(false);
    expect((dict.get('shared_a') as TorchTensor).storage).toBe((dict.get('shared_b') as TorchTensor).storage);
  });

  it('gives a ValidationError for every truncation', () => {
    const cuts = new Set<number>([0, 1, 10, 100, 500, 1000, bytes.length - 300, bytes.length - 30, bytes.length - 1]);
    for (const cut of cuts) {
      expect(() => {
        const loaded = weightsOf(bytes.subarray(0, cut), file);
        for (const value of loaded.entries.values()) if (value instanceof TorchTensor) value.toFloat32();
      }, `cut at ${cut}`).toThrow(ValidationError);
    }
  });

  it('gives a value or a ValidationError for corrupted bytes, never another failure', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const copy = bytes.slice();
        for (const [at, value] of edits) copy[at] = value;
        try {
          const dict = weightsOf(copy, file);
          for (const value of dict.entries.values()) if (value instanceof TorchTensor) value.toFloat32();
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe('files that are not state dicts', () => {
  it('names the class of a whole pickled module and says how to re-save it', () => {
    expect(() => weightsOf(fixture('whole-module.pth'), 'whole-module.pth')).toThrow(
      /pickles a whole torch\.nn\.modules\.linear\.Linear object.*torch\.save\(model\.state_dict\(\)/,
    );
  });

  it('recognises foreign and broken files by their first bytes', () => {
    const tar = new Uint8Array(600);
    tar.set(Buffer.from('ustar'), 257);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(), /the file is empty/],
      [Buffer.from('hello, not a checkpoint'), /not a PyTorch checkpoint/],
      [tar, /tar checkpoint of PyTorch < 0\.4.*torch\.save/],
      [Buffer.from('OFA-CKPT\0\0\0\0'), /already an \.ofa checkpoint/],
      [Uint8Array.from([0x80, 4, 0x4e, 0x2e]), /plain pickle, not a file written by torch\.save/],
      [Buffer.from('PK\x03\x04 and then nothing'), /not a readable zip archive/],
      [zipSync({ 'm/constants.pkl': new Uint8Array(1), 'm/code/m.py': new Uint8Array(1), 'm/data.pkl': new Uint8Array(1) }), /TorchScript archive/],
      [zipSync({ 'notes.txt': Buffer.from('hi') }), /without data\.pkl/],
    ];
    for (const [bytes, message] of cases) expect(() => loadTorchFile(bytes, 'f.pth')).toThrow(message);
  });

  it('names a storage that the archive lacks', () => {
    const good = torchSave({ w: { shape: [2], data: Float32Array.from([1, 2]) } });
    // The archive without its data entry: the pickle still refers to storage "0".
    const dict = weightsOf(zipSync({ 'archive/data.pkl': unzipSync(good)['archive/data.pkl'] }), 'f.pth');
    expect(() => (dict.get('w') as TorchTensor).toFloat32()).toThrow(/storage "0" \(archive\/data\/0\) is missing/);
  });
});
