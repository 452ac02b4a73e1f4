/**
 * Bad input, property-based (fast-check): the protocol decoder and the subnet config validator
 * never throw, accept what is valid, and reject every mutated input with a message naming the
 * field that was broken.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSubnetConfig, parseSubnetConfig } from '../../core/config';
import { ValidationError } from '../../core/errors';
import { decodeFromAgent, decodeToAgent, FromAgent, MAX_FRAME_BYTES, PROTOCOL_VERSION, ToAgent } from '../../core/protocol';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES, SPACE_NAMES, elasticBlockCount } from '../../core/space';
import { fromAgentFrame, toAgentFrame } from './support/frame-arbitraries';

const RUNS = { numRuns: 300 };
const CODES = ['too_large', 'bad_json', 'bad_version', 'bad_frame'];

type Path = (string | number)[];
/** Free-form records (any key may be absent) and optional fields without a default. */
const RECORDS = ['specs', 'extra'];
const OPTIONAL = ['settings.threads'];

/** Every leaf (scalar or array element) of a JSON value, with its path. */
function leaves(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leaves(item, [...path, i]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return path.length > 0 ? [path] : [];
}

function setAt(root: any, path: Path, value: unknown): any {
  const copy = structuredClone(root);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
  return copy;
}

function deleteAt(root: any, path: Path): any {
  const copy = structuredClone(root);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  delete node[path[path.length - 1]];
  return copy;
}

/** Object keys (not array indexes) that can be deleted: every key of every nested object. */
function keys(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => keys(item, [...path, i]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => [[...path, k], ...keys(v, [...path, k])]);
  return [];
}

const decoders = [
  { name: 'from agent', decode: decodeFromAgent, schema: FromAgent, frame: fromAgentFrame },
  { name: 'to agent', decode: decodeToAgent, schema: ToAgent, frame: toAgentFrame },
] as const;

describe.each(decoders)('protocol decoder ($name), property-based', ({ decode, schema, frame }) => {
  it('never throws on random text, bytes or JSON, and answers a known error code', () => {
    const input = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ v: fc.constantFrom(1, 0, 2, '1', null), type: fc.string({ maxLength: 12 }), jobId: fc.anything() }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(input, (raw) => {
        const decoded = decode(raw);
        if (decoded.ok) expect(schema.safeParse(decoded.frame).success).toBe(true);
        else {
          expect(CODES).toContain(decoded.code);
          expect(decoded.error.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it('accepts every valid frame, as text and as bytes, and decodes it stably', () => {
    fc.assert(
      fc.property(frame, (f) => {
        const text = JSON.stringify(f);
        const decoded = decode(text);
        expect(decoded.ok, !decoded.ok ? decoded.error : '').toBe(true);
        if (!decoded.ok) return;
        expect(decoded.frame.type).toBe(f.type);
        expect(decode(new TextEncoder().encode(text))).toEqual(decoded);
        expect(decode(JSON.stringify(decoded.frame))).toEqual(decoded);
      }),
      RUNS,
    );
  });

  it('rejects a frame with any one field given a wrong value, naming that field', () => {
    const mutated = frame.chain((f) => {
      const paths = leaves(f).filter((p) => p[0] !== 'v' && p[0] !== 'type');
      return fc.tuple(fc.constant(f), fc.constantFrom(...paths), fc.constantFrom<unknown>({ wrong: true }, [[1]]));
    });
    fc.assert(
      fc.property(mutated, ([f, path, wrong]) => {
        const decoded = decode(JSON.stringify(setAt(f, path, wrong)));
        expect(decoded.ok).toBe(false);
        if (decoded.ok) return;
        expect(decoded.code).toBe('bad_frame');
        // the field itself, or (for a nullable object replaced wholesale) a field inside it
        expect(decoded.error).toContain(path.join('.'));
      }),
      RUNS,
    );
  });

  it('rejects a frame missing a required field, naming it (fields with defaults are filled)', () => {
    const mutated = frame.chain((f) => fc.tuple(fc.constant(f), fc.constantFrom(...keys(f).filter((p) => p[0] !== 'v' && p[0] !== 'type'))));
    fc.assert(
      fc.property(mutated, ([f, path]) => {
        const decoded = decode(JSON.stringify(deleteAt(f, path)));
        if (decoded.ok) {
          // an entry of a free-form record, an optional field, or one with a default (filled in)
          if (RECORDS.includes(String(path[path.length - 2])) || OPTIONAL.includes(path.join('.'))) return;
          let node: any = decoded.frame;
          for (const key of path.slice(0, -1)) node = node[key];
          expect(node, `${path.join('.')} was dropped but has no default`).toHaveProperty(String(path[path.length - 1]));
          return;
        }
        expect(decoded.code).toBe('bad_frame');
        expect(decoded.error).toContain(path.join('.'));
      }),
      RUNS,
    );
  });

  it('rejects other versions, unknown types, truncated text and oversized frames with their own codes', () => {
    const version = fc.oneof(fc.integer().filter((v) => v !== PROTOCOL_VERSION), fc.string({ maxLength: 5 }), fc.constant(null));
    fc.assert(
      fc.property(frame, version, fc.string({ minLength: 1, maxLength: 20 }), fc.nat(), (f, v, type, cut) => {
        const badVersion = decode(JSON.stringify({ ...f, v }));
        expect(badVersion).toMatchObject({ ok: false, code: 'bad_version' });
        if (!badVersion.ok) expect(badVersion.error).toContain(`v${PROTOCOL_VERSION}`);
        const known = schema.options.map((o) => o.shape.type.value as string);
        if (!known.includes(type)) {
          const unknown = decode(JSON.stringify({ ...f, type }));
          expect(unknown).toMatchObject({ ok: false, code: 'bad_frame' });
          if (!unknown.ok) expect(unknown.error).toContain('type');
        }
        const text = JSON.stringify(f);
        expect(decode(text.slice(0, cut % text.length))).toMatchObject({ ok: false, code: 'bad_json' });
      }),
      { numRuns: 100 },
    );
    const big = JSON.stringify({ v: 1, type: 'error', jobId: null, message: 'é'.repeat(MAX_FRAME_BYTES / 2) });
    expect(decode(big)).toMatchObject({ ok: false, code: 'too_large' });
    expect(decode(new TextEncoder().encode(big))).toMatchObject({ ok: false, code: 'too_large' });
  });
});

describe('protocol frame size limit', () => {
  it('counts the UTF-8 bytes of a frame exactly, whatever characters it holds', () => {
    const chars = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
    fc.assert(
      fc.property(chars, (s) => {
        const message = JSON.stringify(s).slice(1, -1);
        const frameText = `{"v":1,"type":"error","jobId":null,"message":"${message}"}`;
        const bytes = new TextEncoder().encode(frameText).byteLength;
        const padded = frameText.replace('"message":"', `"message":"${'a'.repeat(MAX_FRAME_BYTES - bytes)}`);
        // exactly at the limit: not too large (it may still be too long a message for the schema)
        const atLimit = decodeFromAgent(padded);
        expect(!atLimit.ok && atLimit.code === 'too_large').toBe(false);
        const over = padded.replace('"message":"', '"message":"a');
        expect(decodeFromAgent(over)).toMatchObject({ ok: false, code: 'too_large' });
      }),
      { numRuns: 25 },
    );
  });
});

describe.each(SPACE_NAMES)('subnet config validator (%s), property-based', (name) => {
  const space = SPACES[name];
  const blocks = elasticBlockCount(space);
  const valid = fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => sampleConfig(space, createRng(seed)));
  // 0 (and -0) is no error for a block that depth leaves inactive, so it is never a "broken" value.
  const notIn = (allowed: readonly number[]) => {
    const wrong = (x: number) => !allowed.includes(x) && x !== 0;
    return fc.oneof(fc.integer({ min: -1000, max: 1000 }).filter(wrong), fc.double().filter(wrong), fc.string({ maxLength: 3 }), fc.constant(null));
  };

  it('never throws on anything, and calls anything but an object a non-config', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const issues = checkSubnetConfig(space, input);
        expect(Array.isArray(issues)).toBe(true);
        for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
        if (typeof input !== 'object' || input === null || Array.isArray(input)) expect(issues).toHaveLength(1);
      }),
      RUNS,
    );
  });

  it('accepts every sampled config, alone and under its aliases', () => {
    fc.assert(
      fc.property(valid, (config) => {
        expect(checkSubnetConfig(space, config)).toEqual([]);
        expect(parseSubnetConfig(space, config)).toEqual(config);
        const { r, ...rest } = config;
        expect(parseSubnetConfig(space, { ...rest, image_size: r })).toEqual(config);
        expect(parseSubnetConfig(space, { ...rest, r: [r] })).toEqual(config);
      }),
      RUNS,
    );
  });

  it('rejects a config with one entry broken, naming the field and index', () => {
    const broken = fc.oneof(
      fc.tuple(valid, fc.nat({ max: blocks - 1 }), notIn(space.kernelChoices)).map(([c, i, x]) => ({ input: { ...c, ks: c.ks.map((v, j) => (j === i ? x : v)) }, field: `ks[${i}]` })),
      fc.tuple(valid, fc.nat({ max: blocks - 1 }), notIn(space.expandChoices)).map(([c, i, x]) => ({ input: { ...c, e: c.e.map((v, j) => (j === i ? x : v)) }, field: `e[${i}]` })),
      fc.tuple(valid, fc.nat({ max: space.stages.length - 1 }), notIn(space.depthChoices)).map(([c, i, x]) => ({ input: { ...c, d: c.d.map((v, j) => (j === i ? x : v)) }, field: `d[${i}]` })),
      fc.tuple(valid, fc.integer({ min: -10, max: 1000 }).filter((r) => !space.resolutions.includes(r))).map(([c, r]) => ({ input: { ...c, r }, field: 'r' })),
      fc.tuple(valid, fc.constantFrom('ks', 'e', 'd', 'r')).map(([c, key]) => {
        const { [key as 'ks']: _dropped, ...rest } = c;
        return { input: rest, field: key };
      }),
      fc.tuple(valid, fc.constantFrom('ks', 'e', 'd'), fc.integer({ min: -3, max: 3 }).filter((n) => n !== 0)).map(([c, key, delta]) => {
        const list = c[key as 'ks'];
        const resized = delta > 0 ? [...list, ...Array(delta).fill(list[0])] : list.slice(0, Math.max(0, list.length + delta));
        return { input: { ...c, [key]: resized }, field: key };
      }),
      fc.tuple(valid, fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !['ks', 'e', 'd', 'r', 'image_size', 'wid'].includes(k))).map(([c, key]) => ({ input: { ...c, [key]: 1 }, field: key })),
    );
    fc.assert(
      fc.property(broken, ({ input, field }) => {
        const issues = checkSubnetConfig(space, input);
        expect(issues.length).toBeGreaterThan(0);
        expect(issues.map((i) => i.path)).toContain(field);
        expect(issues.find((i) => i.path === field)!.message).toContain(field);
        expect(() => parseSubnetConfig(space, input)).toThrow(ValidationError);
        expect(() => parseSubnetConfig(space, input)).toThrow(field);
      }),
      RUNS,
    );
  });
});
