/**
 * `.ofa` supernet checkpoints, read and written without TensorFlow.js.
 *
 * Layout (all integers little-endian):
 *   bytes 0..7    magic "OFA-CKPT"
 *   bytes 8..11   uint32 header length H (the JSON text plus space padding)
 *   bytes 12..    H bytes of UTF-8 JSON: {format, version, space, phase, createdAt, meta,
 *                 tensors: [{name, shape, dtype: "float32", offset, byteLength}]}
 *   12 + H ..     data section: raw little-endian float32 values; `offset` is relative to the
 *                 start of the data section. The header is padded so the data section starts on a
 *                 64-byte boundary and every tensor starts on a 64-byte boundary too.
 * The tensor list must be exactly `supernetTensors(space)` (names and shapes); reading checks it
 * and names every missing, unexpected or mis-shaped tensor.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { SPACE_NAMES, SPACES, isSpaceName, type SpaceName } from '../core/space';
import { elementCount, supernetTensors, type SupernetWeights } from './supernet-tensors';

export const CHECKPOINT_MAGIC = 'OFA-CKPT';
export const CHECKPOINT_FORMAT = 'ofa-farm-checkpoint';
export const CHECKPOINT_VERSION = 1;
const ALIGN = 64;
const PREAMBLE = 12;

export interface Checkpoint {
  space: SpaceName;
  /** Training phase that produced it, e.g. "full", "kernel", "depth-2", "expand-2", "imported". */
  phase: string;
  createdAt: string;
  /** Free-form: schedule, notes, `bnRecalibrationNeeded`, source file... */
  meta: Record<string, unknown>;
  /** Every supernet tensor, in state_dict order. */
  tensors: Map<string, Float32Array>;
}

export interface CheckpointInput {
  space: SpaceName;
  phase: string;
  /** Defaults to now; pass a fixed value for reproducible files. */
  createdAt?: string;
  meta?: Record<string, unknown>;
  /** Tensors by name, or any weight source (random weights, another checkpoint). */
  tensors: ReadonlyMap<string, Float32Array> | SupernetWeights;
}

const TensorEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.literal('float32'),
  offset: z.number().int().nonnegative(),
  byteLength: z.number().int().nonnegative(),
});

const Header = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.number().int(),
  space: z.string(),
  phase: z.string().min(1),
  createdAt: z.string(),
  meta: z.record(z.string(), z.unknown()),
  tensors: z.array(TensorEntry),
});
type Header = z.infer<typeof Header>;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function listProblems(label: string, problems: string[]): ValidationError {
  const shown = problems.slice(0, 25);
  const more = problems.length > shown.length ? `; ... and ${problems.length - shown.length} more` : '';
  return new ValidationError(`${label}: ${problems.length} tensor problem${problems.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`);
}

/** Compares (name, shape) pairs with the space's supernet; one message per problem, by name. */
export function checkTensorList(space: SpaceName, found: readonly { name: string; shape: readonly number[] }[]): string[] {
  const expected = new Map(supernetTensors(SPACES[space]).map((s) => [s.name, s.shape]));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const t of found) {
    if (seen.has(t.name)) problems.push(`"${t.name}" appears twice`);
    seen.add(t.name);
    const shape = expected.get(t.name);
    if (!shape) problems.push(`unexpected tensor "${t.name}" (not in the ${space} supernet)`);
    else if (shapeText(shape) !== shapeText(t.shape)) problems.push(`"${t.name}" has shape ${shapeText(t.shape)}, expected ${shapeText(shape)}`);
  }
  for (const name of expected.keys()) if (!seen.has(name)) problems.push(`missing tensor "${name}"`);
  return problems;
}

function tensorOf(source: CheckpointInput['tensors'], name: string): Float32Array | undefined {
  return source instanceof Map ? source.get(name) : (source as SupernetWeights).tensor(name);
}

/** Serialises a checkpoint; throws a ValidationError naming any missing or mis-sized tensor. */
export function encodeCheckpoint(input: CheckpointInput): Uint8Array {
  if (!isSpaceName(input.space)) throw new ValidationError(`unknown space "${input.space}"; one of: ${SPACE_NAMES.join(', ')}`);
  if (!input.phase) throw new ValidationError('a checkpoint needs a phase name');
  const specs = supernetTensors(SPACES[input.space]);
  if (input.tensors instanceof Map) {
    const expected = new Map(specs.map((spec) => [spec.name, spec.shape]));
    const given = [...input.tensors];
    // Known names are listed with their expected shape so only the name sets are compared here.
    const problems = checkTensorList(input.space, given.map(([name]) => ({ name, shape: expected.get(name) ?? [] })));
    for (const [name, data] of given) {
      const shape = expected.get(name);
      if (shape && data.length !== elementCount(shape)) problems.push(`"${name}" has ${data.length} values, expected shape ${shapeText(shape)} (${elementCount(shape)} values)`);
    }
    if (problems.length > 0) throw listProblems('cannot write checkpoint', problems);
  }
  const entries: Header['tensors'] = [];
  const datas: Float32Array[] = [];
  let offset = 0;
  for (const spec of specs) {
    const data = tensorOf(input.tensors, spec.name);
    if (!data || data.length !== elementCount(spec.shape)) throw listProblems('cannot write checkpoint', [`"${spec.name}" is missing or has the wrong size`]);
    entries.push({ name: spec.name, shape: [...spec.shape], dtype: 'float32', offset, byteLength: data.byteLength });
    datas.push(data);
    offset = alignUp(offset + data.byteLength);
  }
  const header: Header = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    space: input.space,
    phase: input.phase,
    createdAt: input.createdAt ?? new Date().toISOString(),
    meta: input.meta ?? {},
    tensors: entries,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = alignUp(PREAMBLE + json.length) - PREAMBLE;
  const dataStart = PREAMBLE + headerLength;
  const out = new Uint8Array(dataStart + offset);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, headerLength, true);
  out.set(json, PREAMBLE);
  out.fill(0x20, PREAMBLE + json.length, dataStart);
  entries.forEach((entry, i) => writeFloats(out, dataStart + entry.offset, datas[i]));
  return out;
}

function writeFloats(out: Uint8Array, at: number, data: Float32Array): void {
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
}

function readFloats(bytes: Uint8Array, at: number, count: number): Float32Array {
  const absolute = bytes.byteOffset + at;
  if (LITTLE_ENDIAN_HOST && absolute % 4 === 0) return new Float32Array(bytes.buffer, absolute, count);
  const view = new DataView(bytes.buffer, absolute, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function parseHeader(bytes: Uint8Array, label: string): { header: Header; dataStart: number } {
  if (bytes.length < PREAMBLE) throw new ValidationError(`${label}: truncated: ${bytes.length} bytes, too short for an .ofa checkpoint`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CHECKPOINT_MAGIC) throw new ValidationError(`${label}: not an .ofa checkpoint (wrong magic ${JSON.stringify(magic)}, expected "${CHECKPOINT_MAGIC}")`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (PREAMBLE + headerLength > bytes.length) {
    throw new ValidationError(`${label}: truncated: the header claims ${headerLength} bytes but the file ends after ${bytes.length - PREAMBLE}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength)));
  } catch (error) {
    throw new ValidationError(`${label}: corrupt header: ${(error as Error).message}`);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== CHECKPOINT_VERSION) {
    throw new ValidationError(`${label}: unsupported checkpoint version ${version}; this build reads version ${CHECKPOINT_VERSION}`);
  }
  const parsed = Header.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`${label}: corrupt header: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { header: parsed.data, dataStart: PREAMBLE + headerLength };
}

/**
 * Parses and validates a checkpoint. Tensors are views into `bytes` when aligned (no copy).
 * Throws a ValidationError for wrong magic, truncation, a corrupt header, an unknown space or
 * any tensor that is missing, unexpected or mis-shaped (each named).
 */
export function decodeCheckpoint(bytes: Uint8Array, label = 'checkpoint'): Checkpoint {
  const { header, dataStart } = parseHeader(bytes, label);
  if (!isSpaceName(header.space)) throw new ValidationError(`${label}: unknown space "${header.space}"; one of: ${SPACE_NAMES.join(', ')}`);
  const space = header.space;
  const problems = checkTensorList(space, header.tensors);
  const dataLength = bytes.length - dataStart;
  for (const t of header.tensors) {
    if (t.byteLength !== 4 * elementCount(t.shape)) problems.push(`"${t.name}" has byteLength ${t.byteLength}, but shape ${shapeText(t.shape)} needs ${4 * elementCount(t.shape)}`);
    if (t.offset % 4 !== 0) problems.push(`"${t.name}" starts at offset ${t.offset}, not a multiple of 4`);
  }
  if (problems.length > 0) throw listProblems(label, problems);
  const beyond = header.tensors.filter((t) => t.offset + t.byteLength > dataLength);
  if (beyond.length > 0) {
    const first = beyond[0];
    throw new ValidationError(
      `${label}: truncated: tensor "${first.name}" needs data bytes ${first.offset}..${first.offset + first.byteLength} but the file holds ${dataLength}` +
        (beyond.length > 1 ? ` (${beyond.length - 1} more tensor${beyond.length > 2 ? 's are' : ' is'} cut off)` : ''),
    );
  }
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const tensors = new Map<string, Float32Array>();
  for (const spec of supernetTensors(SPACES[space])) {
    const t = byName.get(spec.name)!;
    tensors.set(spec.name, readFloats(bytes, dataStart + t.offset, t.byteLength / 4));
  }
  return { space, phase: header.phase, createdAt: header.createdAt, meta: header.meta, tensors };
}

/** Reads and validates a `.ofa` file; errors name the file. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ValidationError(`cannot read checkpoint ${path}: ${(error as Error).message}`);
  }
  return decodeCheckpoint(bytes, path);
}

/** Writes a `.ofa` file atomically (temporary file, then rename); returns the byte count. */
export async function writeCheckpoint(path: string, input: CheckpointInput): Promise<number> {
  const bytes = encodeCheckpoint(input);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
  return bytes.length;
}

/**
 * A checkpoint as a weight source for `exportSubnet`. The default label (recorded in exported
 * models) depends on the checkpoint's content, not on its path, so the same weights export to
 * the same bytes wherever the file lies.
 */
export function checkpointWeights(checkpoint: Checkpoint, label = `checkpoint phase ${checkpoint.phase} created ${checkpoint.createdAt}`): SupernetWeights {
  return {
    space: SPACES[checkpoint.space],
    source: label,
    tensor(name) {
      const t = checkpoint.tensors.get(name);
      if (!t) throw new Error(`${label} has no tensor "${name}"`);
      return t;
    },
  };
}
