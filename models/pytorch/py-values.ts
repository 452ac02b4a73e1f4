/**
 * The Python values a PyTorch checkpoint's pickle can hold, as inert data. Nothing here runs
 * code: a class the reader does not know stays a `PyOpaque` that only remembers its name, so a
 * hostile `.pth` can never make the reader do more than build these records.
 */
import type { TorchStorage, TorchTensor } from './tensor';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A dict or `collections.OrderedDict` (insertion order kept, as Python does). */
export class PyDict {
  readonly entries = new Map<PyValue, PyValue>();
  /** Attributes set by BUILD (an OrderedDict's `_metadata`); kept but never interpreted. */
  readonly attributes = new Map<string, PyValue>();
  constructor(readonly ordered = false) {}
  get(key: string): PyValue | undefined {
    return this.entries.get(key);
  }
}

/** A reference to `module.name` (the GLOBAL opcode); only a name, never imported. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object of a class outside the allowlist, or a call of a function outside it: inert. */
export class PyOpaque {
  state: PyValue | undefined = undefined;
  constructor(
    readonly global: PyGlobal,
    readonly args: readonly PyValue[],
  ) {}
}

export class PySet {
  constructor(readonly items: PyValue[]) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyOpaque
  | TorchStorage
  | TorchTensor
  | { readonly kind: 'dtype'; readonly name: string };

/** A short description of a value for error messages (never recursive beyond one level). */
export function describePy(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof PyTuple) return `a tuple of ${value.items.length}`;
  if (value instanceof PyDict) return `a dict of ${value.entries.size} entries`;
  if (value instanceof PySet) return `a set of ${value.items.length}`;
  if (value instanceof PyGlobal) return `the global ${value.qualified}`;
  if (value instanceof PyOpaque) return `an object of ${value.global.qualified} (not read: outside the allowlist)`;
  if ('kind' in value && value.kind === 'dtype') return `the dtype ${value.name}`;
  return String(value);
}

export function isPyString(value: PyValue | undefined): value is string {
  return typeof value === 'string';
}
