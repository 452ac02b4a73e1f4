import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { SPACES } from '../../core/space';
import { CHECKPOINT_MAGIC, checkpointWeights, decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint } from '../../models/checkpoint';
import { materializeSupernet, randomSupernetWeights } from '../../models/random-weights';
import { supernetTensors } from '../../models/supernet-tensors';
import { testSupernetTensors } from './test-weights';

const mini = SPACES['ofa-mbv3-mini'];
const tensors = testSupernetTensors(mini, 3);
const createdAt = '2025-01-02T03:04:05.000Z';
const good = encodeCheckpoint({ space: 'ofa-mbv3-mini', phase: 'kernel', createdAt, meta: { bnRecalibrationNeeded: true, schedule: 'quick' }, tensors });
const dir = mkdtempSync(join(tmpdir(), 'ofa-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bitwise equality of two typed arrays (vitest's deep equality is slow on megabytes). */
function sameBytes(a: ArrayBufferView | undefined, b: ArrayBufferView | undefined): boolean {
  if (!a || !b) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Rewrites a checkpoint's JSON header (data section kept as is). */
function withHeader(bytes: Uint8Array, edit: (header: Record<string, any>) => void): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((12 + json.length) / 64) * 64 - 12;
  const out = new Uint8Array(12 + padded + (bytes.length - 12 - length));
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, padded, true);
  out.set(json, 12);
  out.fill(0x20, 12 + json.length, 12 + padded);
  out.set(bytes.subarray(12 + length), 12 + padded);
  return out;
}

function decodeError(bytes: Uint8Array): string {
  try {
    decodeCheckpoint(bytes, 'ckpt');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('decodeCheckpoint accepted a bad checkpoint');
}

describe('.ofa checkpoints', () => {
  it('round-trips every tensor bit-exactly, with the header fields', () => {
    const back = decodeCheckpoint(good);
    expect(back.space).toBe('ofa-mbv3-mini');
    expect(back.phase).toBe('kernel');
    expect(back.createdAt).toBe(createdAt);
    expect(back.meta).toEqual({ bnRecalibrationNeeded: true, schedule: 'quick' });
    expect([...back.tensors.keys()]).toEqual(supernetTensors(mini).map((s) => s.name));
    for (const [name, data] of tensors) expect(sameBytes(back.tensors.get(name), data), name).toBe(true);
  });

  it('lays the data out little-endian, 64-byte aligned, after the magic and header length', () => {
    expect(new TextDecoder().decode(good.subarray(0, 8))).toBe(CHECKPOINT_MAGIC);
    const headerLength = new DataView(good.buffer, good.byteOffset).getUint32(8, true);
    expect((12 + headerLength) % 64).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(good.subarray(12, 12 + headerLength)));
    expect(header).toMatchObject({ format: 'ofa-farm-checkpoint', version: 1, space: 'ofa-mbv3-mini' });
    const first = header.tensors[0];
    expect(first).toMatchObject({ name: 'first_conv.conv.weight', shape: [8, 1, 3, 3], dtype: 'float32', offset: 0, byteLength: 8 * 9 * 4 });
    for (const t of header.tensors) expect(t.offset % 64).toBe(0);
    const view = new DataView(good.buffer, good.byteOffset + 12 + headerLength);
    expect(view.getFloat32(4, true)).toBe(tensors.get('first_conv.conv.weight')![1]);
  });

  it('writes files atomically and reads them back; the same content gives the same bytes', async () => {
    const file = join(dir, 'a.ofa');
    const size = await writeCheckpoint(file, { space: 'ofa-mbv3-mini', phase: 'kernel', createdAt, meta: { bnRecalibrationNeeded: true, schedule: 'quick' }, tensors });
    expect(size).toBe(good.length);
    expect(sameBytes(readFileSync(file), good)).toBe(true);
    const back = await readCheckpoint(file);
    expect(sameBytes(back.tensors.get('classifier.linear.weight'), tensors.get('classifier.linear.weight'))).toBe(true);
    const weights = checkpointWeights(back);
    expect(weights.space.name).toBe('ofa-mbv3-mini');
    expect(sameBytes(weights.tensor('blocks.3.conv.depth_conv.conv.7to5_matrix'), tensors.get('blocks.3.conv.depth_conv.conv.7to5_matrix'))).toBe(true);
  });

  it('accepts any weight source when writing (seeded random weights)', () => {
    const random = randomSupernetWeights(mini, 5);
    const back = decodeCheckpoint(encodeCheckpoint({ space: 'ofa-mbv3-mini', phase: 'init', tensors: random }));
    const all = materializeSupernet(random);
    expect([...back.tensors.keys()]).toEqual([...all.keys()]);
    for (const [name, data] of all) expect(sameBytes(back.tensors.get(name), data), name).toBe(true);
  });

  it('rejects a wrong magic, truncation and corrupt headers with clear messages', () => {
    const wrongMagic = good.slice();
    wrongMagic.set(new TextEncoder().encode('PK\x03\x04'), 0);
    expect(decodeError(wrongMagic)).toMatch(/ckpt: not an \.ofa checkpoint \(wrong magic/);
    expect(decodeError(good.subarray(0, 10))).toMatch(/truncated: 10 bytes/);
    expect(decodeError(good.subarray(0, 200))).toMatch(/truncated: the header claims \d+ bytes/);
    expect(decodeError(good.subarray(0, good.length - 100))).toMatch(/truncated: tensor "classifier\.linear\.weight" needs data bytes \d+\.\.\d+ but the file holds \d+ \(1 more tensor is cut off\)/);
    const garbage = good.slice();
    garbage.set(new TextEncoder().encode('{"format":'), 12);
    garbage[22] = 0x7b;
    expect(decodeError(garbage)).toMatch(/ckpt: corrupt header: .*JSON/);
    expect(decodeError(withHeader(good, (h) => delete h.tensors))).toMatch(/corrupt header: tensors: /);
    expect(decodeError(withHeader(good, (h) => (h.tensors[2].dtype = 'float16')))).toMatch(/corrupt header: tensors\.2\.dtype/);
    expect(decodeError(withHeader(good, (h) => (h.format = 'safetensors')))).toMatch(/corrupt header: format/);
    expect(decodeError(withHeader(good, (h) => (h.version = 2)))).toMatch(/unsupported checkpoint version 2; this build reads version 1/);
  });

  it('rejects an unknown space', () => {
    expect(decodeError(withHeader(good, (h) => (h.space = 'resnet50')))).toMatch(/unknown space "resnet50"; one of: ofa-mbv3-w1\.0/);
  });

  it('names every missing, unexpected and mis-shaped tensor', () => {
    const message = decodeError(
      withHeader(good, (h) => {
        h.tensors = h.tensors.filter((t: { name: string }) => t.name !== 'blocks.7.conv.depth_conv.se.fc.reduce.bias');
        h.tensors[0].name = 'first_conv.conv.kernel';
        const pl = h.tensors.find((t: { name: string }) => t.name === 'blocks.2.conv.point_linear.conv.conv.weight');
        pl.shape = [pl.shape[1], pl.shape[0], 1, 1];
      }),
    );
    expect(message).toMatch(/ckpt: 4 tensor problems/);
    expect(message).toMatch(/missing tensor "blocks\.7\.conv\.depth_conv\.se\.fc\.reduce\.bias"/);
    expect(message).toMatch(/missing tensor "first_conv\.conv\.weight"/);
    expect(message).toMatch(/unexpected tensor "first_conv\.conv\.kernel"/);
    expect(message).toMatch(/"blocks\.2\.conv\.point_linear\.conv\.conv\.weight" has shape \[48, 8, 1, 1\], expected \[8, 48, 1, 1\]/);
  });

  it('checks byte lengths and offsets against the shapes', () => {
    expect(decodeError(withHeader(good, (h) => (h.tensors[1].byteLength = 4)))).toMatch(/"first_conv\.bn\.weight" has byteLength 4, but shape \[8\] needs 32/);
    expect(decodeError(withHeader(good, (h) => (h.tensors[1].offset += 2)))).toMatch(/not a multiple of 4/);
  });

  it('refuses to write a wrong tensor set, naming the tensors', () => {
    const wrong = new Map(tensors);
    wrong.delete('classifier.linear.weight');
    wrong.set('first_conv.bn.weight', new Float32Array(3));
    wrong.set('extra.weight', new Float32Array(1));
    let message = '';
    try {
      encodeCheckpoint({ space: 'ofa-mbv3-mini', phase: 'x', tensors: wrong });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/cannot write checkpoint: 3 tensor problems/);
    expect(message).toMatch(/"first_conv\.bn\.weight" has 3 values, expected shape \[8\] \(8 values\)/);
    expect(message).toMatch(/unexpected tensor "extra\.weight"/);
    expect(message).toMatch(/missing tensor "classifier\.linear\.weight"/);
  });

  it('names the file when reading fails', async () => {
    const file = join(dir, 'broken.ofa');
    writeFileSync(file, good.subarray(0, 100));
    await expect(readCheckpoint(file)).rejects.toThrow(`${file}: truncated`);
    await expect(readCheckpoint(join(dir, 'nope.ofa'))).rejects.toThrow(/cannot read checkpoint .*nope\.ofa/);
  });
});
