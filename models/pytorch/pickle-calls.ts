/**
 * What REDUCE, NEWOBJ and BUILD do in the pickle reader: call an allowlisted function by its
 * qualified name, or record the call as inert data; set state on dicts and inert objects only.
 */
import { ValidationError } from '../../core/errors';
import type { UnpickleOptions } from './pickle';
import { PyDict, PyGlobal, PyOpaque, PyTuple, type PyValue } from './py-values';

/** Little-endian two's-complement integer of n bytes; a number when it is safe, else a bigint. */
export function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export function callGlobal(options: UnpickleOptions, callee: PyValue, args: PyValue[], at: number): PyValue {
  if (callee instanceof PyGlobal) {
    const fn = options.callables.get(callee.qualified);
    if (fn) return fn(args);
    return new PyOpaque(callee, args);
  }
  if (callee instanceof PyOpaque) return new PyOpaque(callee.global, args);
  throw new ValidationError(`${options.label}: corrupt pickle at byte ${at}: REDUCE/NEWOBJ applied to something that is not a class or function`);
}

export function build(target: PyValue, state: PyValue): void {
  if (target instanceof PyOpaque) {
    target.state = state;
    return;
  }
  if (target instanceof PyDict) {
    const dictState = state instanceof PyTuple ? state.items[0] : state;
    if (dictState instanceof PyDict) {
      for (const [k, v] of dictState.entries) if (typeof k === 'string') target.attributes.set(k, v);
    }
  }
  // Tensors and plain values carry no state the farm reads.
}
