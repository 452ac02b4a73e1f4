/**
 * A bounded pickle reader for PyTorch checkpoints (protocols 0-5, as far as `torch.save` uses
 * them; torch writes protocol 2). It builds plain values and never runs code: GLOBAL only
 * names a class, and REDUCE/NEWOBJ call a function only when its qualified name is in the
 * caller's allowlist; anything else becomes an inert `PyOpaque`. Every opcode consumes at least
 * one byte, so work and memory are linear in the input.
 */
import { ValidationError } from '../../core/errors';
import { build, callGlobal, decodeLong } from './pickle-calls';
import { PyDict, PyGlobal, PySet, PyTuple, type PyValue } from './py-values';

export type PyCallable = (args: PyValue[]) => PyValue;

export interface UnpickleOptions {
  /** Names the input in errors (the file path). */
  label: string;
  /** Allowlisted callables by qualified name ("torch._utils._rebuild_tensor_v2"). */
  callables: ReadonlyMap<string, PyCallable>;
  /** Resolves a persistent id (torch's storage references). */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Byte to start at (a legacy checkpoint is several pickles in a row). */
  offset?: number;
}

export interface Unpickled {
  value: PyValue;
  /** Index of the first byte after STOP. */
  end: number;
}


const MAX_LONG_BYTES = 1024;
const TEXT = new TextDecoder('utf-8', { fatal: true });
const LATIN1 = new TextDecoder('latin1');

function fail(label: string, at: number, message: string): never {
  throw new ValidationError(`${label}: corrupt pickle at byte ${at}: ${message}`);
}

/** Runs the pickle at `options.offset` (default 0) up to its STOP opcode. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): Unpickled {
  const { label } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = options.offset ?? 0;
  let opAt = pos;

  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail(label, opAt, `needs ${n} more bytes but the data ends (truncated)`);
    const at = pos;
    pos += n;
    return at;
  };
  const take = (n: number): Uint8Array => bytes.subarray(need(n), pos);
  const u8 = () => bytes[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(bytes.length)) fail(label, opAt, `declares a length of ${v} bytes, more than the whole input`);
    return Number(v);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(label, opAt, 'a text argument has no end of line (truncated)');
    const text = LATIN1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const utf8 = (n: number): string => {
    const raw = take(n);
    try {
      return TEXT.decode(raw);
    } catch {
      return fail(label, opAt, 'a string is not valid UTF-8');
    }
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail(label, opAt, 'pops from an empty stack');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail(label, opAt, 'needs a value on the stack');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail(label, opAt, 'needs a mark but there is none');
    return stack.splice(m);
  };
  const push = (v: PyValue) => stack.push(v);
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) fail(label, opAt, `refers to memo entry ${i}, which was never stored`);
    return memo.get(i) as PyValue;
  };
  const setItems = (dict: PyValue, items: PyValue[]) => {
    if (!(dict instanceof PyDict)) fail(label, opAt, 'sets items on something that is not a dict');
    if (items.length % 2 !== 0) fail(label, opAt, 'sets an odd number of keys and values');
    for (let i = 0; i < items.length; i += 2) dict.entries.set(items[i], items[i + 1]);
  };
  const appendItems = (list: PyValue, items: PyValue[]) => {
    const target = Array.isArray(list) ? list : list instanceof PySet ? list.items : fail(label, opAt, 'appends to something that is not a list');
    for (const item of items) target.push(item);
  };
  const parseTextInt = (text: string): number | bigint | boolean => {
    const t = text.trim().replace(/L$/, '');
    if (t === '01' && text.length <= 3) return true;
    if (t === '00' && text.length <= 3) return false;
    if (t.length > MAX_LONG_BYTES * 3 || !/^[-+]?\d+$/.test(t)) fail(label, opAt, `"${text.slice(0, 40)}" is not an integer this reader accepts`);
    const big = BigInt(t);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  };
  const persistent = (pid: PyValue): PyValue => {
    if (!options.persistentLoad) fail(label, opAt, 'uses a persistent id, which this pickle may not contain');
    return options.persistentLoad(pid);
  };

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(label, opAt, 'pickle protocol above 5');
        break;
      case 0x95: // FRAME
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length > 0) fail(label, opAt, `STOP with ${stack.length} values on the stack`);
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(decodeLong(take(u8())));
        break;
      case 0x8b: {
        // LONG4 (torch never writes long ones; a huge one would cost quadratic time)
        const n = view.getInt32(need(4), true);
        if (n > MAX_LONG_BYTES) fail(label, opAt, `an integer of ${n} bytes, longer than the ${MAX_LONG_BYTES} this reader accepts`);
        push(decodeLong(take(n)));
        break;
      }
      case 0x49: // INT
      case 0x4c: // LONG
        push(parseTextInt(line()));
        break;
      case 0x47: // BINFLOAT (big-endian)
        push(view.getFloat64(need(8), false));
        break;
      case 0x46: {
        // FLOAT
        const text = line().trim();
        const value = Number(text);
        if (text === '' || (Number.isNaN(value) && !/^-?nan$/i.test(text))) fail(label, opAt, `"${text}" is not a float`);
        push(value);
        break;
      }
      case 0x58: // BINUNICODE
        push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        push(LATIN1.decode(take(view.getInt32(need(4), true))));
        break;
      case 0x55: // SHORT_BINSTRING
        push(LATIN1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x74: {
        // TUPLE
        const items = popMark();
        push(new PyTuple(items));
        break;
      }
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const dict = new PyDict();
        setItems(dict, items);
        push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new PySet([]));
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        push(new PySet(items));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        push(new PyGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(label, opAt, 'STACK_GLOBAL needs two strings');
        push(new PyGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callee = pop();
        if (!(args instanceof PyTuple)) fail(label, opAt, 'REDUCE arguments are not a tuple');
        push(callGlobal(options, callee, args.items, opAt));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) fail(label, opAt, 'NEWOBJ arguments are not a tuple');
        push(callGlobal(options, cls, args.items, opAt));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop();
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) fail(label, opAt, 'NEWOBJ_EX arguments are not a tuple');
        push(callGlobal(options, cls, args.items, opAt));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        build(top(), state);
        break;
      }
      case 0x51: // BINPERSID
        push(persistent(pop()));
        break;
      case 0x50: // PERSID
        push(persistent(line()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(Number(parseTextInt(line())), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x67: // GET
        push(memoGet(Number(parseTextInt(line()))));
        break;
      default:
        fail(label, opAt, `opcode 0x${op.toString(16).padStart(2, '0')} is not one torch.save writes (or the data is not a pickle)`);
    }
  }
}
