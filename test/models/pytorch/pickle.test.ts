/**
 * The bounded pickle reader on hand-assembled pickles: values, memo, marks, the protocol 4
 * opcodes, inert handling of globals outside the allowlist (nothing runs), and a clear
 * ValidationError for every malformed or truncated input (property-tested on random bytes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors';
import { unpickle, type PyCallable } from '../../../models/pytorch/pickle';
import { PyDict, PyGlobal, PyOpaque, PyTuple, type PyValue } from '../../../models/pytorch/py-values';
import { torchCallables } from '../../../models/pytorch/torch-globals';

/** Assembles a pickle from opcode bytes, strings (latin1) and numbers (single bytes). */
function p(...parts: (number | string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') for (const c of part) out.push(c.charCodeAt(0));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff];
const unicode = (s: string) => [0x58, ...u32(Buffer.byteLength(s)), ...Buffer.from(s)];

function load(bytes: Uint8Array, callables: ReadonlyMap<string, PyCallable> = torchCallables()): PyValue {
  return unpickle(bytes, { label: 'test.pkl', callables }).value;
}

function dictEntries(value: PyValue): [PyValue, PyValue][] {
  expect(value).toBeInstanceOf(PyDict);
  return [...(value as PyDict).entries];
}

describe('pickle reader', () => {
  it('reads the scalars, containers and memo operations torch.save writes (protocol 2)', () => {
    const bytes = p(
      0x80, 2, 0x7d, 0x71, 0, 0x28, // PROTO 2, EMPTY_DICT, BINPUT 0, MARK
      unicode('ints'), 0x28, 0x4b, 7, 0x4d, 0x34, 0x12, 0x4a, ...u32(-5 >>> 0), 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x74, // (7, 0x1234, -5, 2**64)
      unicode('floats'), 0x5d, 0x71, 1, 0x28, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x4e, 0x88, 0x89, 0x65, // [1.5, None, True, False]
      unicode('again'), 0x68, 1, // BINGET 1: the same list
      unicode('pair'), 0x4b, 1, 0x4b, 2, 0x86, // TUPLE2
      unicode('text'), 0x55, 3, 'abc', // SHORT_BINSTRING (Python 2 str)
      0x75, 0x2e, // SETITEMS, STOP
    );
    const entries = new Map(dictEntries(load(bytes)));
    expect((entries.get('ints') as PyTuple).items).toEqual([7, 0x1234, -5, 2n ** 64n]);
    expect(entries.get('floats')).toEqual([1.5, null, true, false]);
    expect(entries.get('again')).toBe(entries.get('floats'));
    expect((entries.get('pair') as PyTuple).items).toEqual([1, 2]);
    expect(entries.get('text')).toBe('abc');
  });

  it('reads the protocol 4 opcodes (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL) and text ones (INT, GLOBAL)', () => {
    const bytes = p(0x80, 4, 0x95, 20, 0, 0, 0, 0, 0, 0, 0, 0x8c, 11, 'collections', 0x94, 0x8c, 11, 'OrderedDict', 0x94, 0x93, 0x29, 0x52, 0x94, 'I42\n', 's', 0x2e);
    expect(() => load(bytes)).toThrow(ValidationError); // SETITEM with one value: key without value
    const ok = p(0x80, 4, 0x8c, 11, 'collections', 0x94, 0x8c, 11, 'OrderedDict', 0x94, 0x93, 0x29, 0x52, 0x94, 'I42\n', 0x8c, 1, 'x', 0x73, 0x2e);
    const entries = dictEntries(load(ok));
    expect(entries).toEqual([[42, 'x']]);
    expect((load(ok) as PyDict).ordered).toBe(true);
    expect(load(p('cos\nsystem\n', 0x2e))).toEqual(new PyGlobal('os', 'system'));
  });

  it('never runs a global outside the allowlist: os.system, builtins.eval, subprocess.Popen stay inert', () => {
    for (const [module, name] of [['os', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen'], ['posix', 'system']]) {
      const bytes = p(0x80, 2, `c${module}\n${name}\n`, 0x28, unicode('touch /tmp/ofa-farm-pwned'), 0x74, 0x52, 0x2e);
      const value = load(bytes);
      expect(value).toBeInstanceOf(PyOpaque);
      expect((value as PyOpaque).global.qualified).toBe(`${module}.${name}`);
      expect((value as PyOpaque).args).toEqual(['touch /tmp/ofa-farm-pwned']);
    }
    // BUILD on an inert object keeps the state as data; NEWOBJ is just as inert.
    const built = load(p(0x80, 2, 'c__main__\nEvil\n', 0x29, 0x81, 0x7d, 0x62, 0x2e));
    expect(built).toBeInstanceOf(PyOpaque);
    expect((built as PyOpaque).state).toBeInstanceOf(PyDict);
  });

  it('calls an allowlisted function only through the allowlist given', () => {
    const bytes = p(0x80, 2, 'ccollections\nOrderedDict\n', 0x29, 0x52, 0x2e);
    expect(load(bytes)).toBeInstanceOf(PyDict);
    expect(load(bytes, new Map())).toBeInstanceOf(PyOpaque);
  });

  it('rejects malformed pickles with a ValidationError naming the byte', () => {
    const cases: [Uint8Array, RegExp][] = [
      [p(0x80, 2, 0x30, 0x2e), /byte 2: pops from an empty stack/],
      [p(0x80, 2, 0x68, 5, 0x2e), /memo entry 5, which was never stored/],
      [p(0x80, 2, 0x4b, 1, 0x4b, 2, 0x2e), /STOP with 2 values/],
      [p(0x80, 2, 0xff), /opcode 0xff/],
      [p(0x80, 2, 0x58, 0xff, 0xff, 0, 0, 'ab'), /truncated/],
      [p(0x80, 2, 0x74, 0x2e), /needs a mark/],
      [p(0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e), /not a class or function/],
      [p(0x80, 2, 0x4e, 0x51, 0x2e), /persistent id/],
      [p(0x80, 2, 0x8c, 2, 0xc3, 0x28, 0x2e), /not valid UTF-8/],
      [p(0x80, 2, 0x8b, ...u32(5_000_000), 0x2e), /an integer of 5000000 bytes/],
      [p(0x80, 2, `I${'9'.repeat(5000)}\n`, 0x2e), /is not an integer this reader accepts/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => load(bytes)).toThrow(ValidationError);
      expect(() => load(bytes)).toThrow(message);
    }
  });

  it('turns every prefix of a valid pickle into a ValidationError (truncation)', () => {
    const bytes = p(0x80, 2, 0x7d, 0x28, unicode('a'), 0x5d, 0x4b, 1, 0x61, unicode('b'), 0x47, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x75, 0x2e);
    expect(dictEntries(load(bytes))).toHaveLength(2);
    for (let n = 0; n < bytes.length; n++) expect(() => load(bytes.subarray(0, n))).toThrow(ValidationError);
  });

  it('answers any byte string with a value or a ValidationError, never another failure', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        const bytes = p(0x80, 2, [...tail]);
        try {
          load(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
