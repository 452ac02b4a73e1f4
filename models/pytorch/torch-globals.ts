/**
 * The allowlist: the only Python callables a checkpoint's pickle may invoke, each rebuilt here
 * as a plain function over inert values (tensor views, dicts, bytes). Every other global stays
 * a `PyOpaque`, and the state-dict reader names it if a weight depends on it.
 */
import { ValidationError } from '../../core/errors';
import type { PyCallable } from './pickle';
import { PyDict, PyGlobal, PySet, PyTuple, describePy, type PyValue } from './py-values';
import { DTYPE_ATTRIBUTES, STORAGE_CLASSES, TorchStorage, TorchTensor, dtypeInfo } from './tensor';

function intList(value: PyValue, what: string): number[] {
  if (!(value instanceof PyTuple) && !Array.isArray(value)) throw new ValidationError(`a tensor's ${what} is ${describePy(value)}, not a tuple of integers`);
  const items = value instanceof PyTuple ? value.items : value;
  return items.map((v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ValidationError(`a tensor's ${what} holds ${describePy(v)}, not an integer`);
    return v;
  });
}

function storageArg(value: PyValue): TorchStorage {
  if (!(value instanceof TorchStorage)) throw new ValidationError(`a tensor is rebuilt from ${describePy(value)}, not from a storage`);
  return value;
}

function rebuildTensor(args: PyValue[]): TorchTensor {
  const [storage, offset, size, stride] = args;
  if (typeof offset !== 'number') throw new ValidationError(`a tensor's storage offset is ${describePy(offset)}, not an integer`);
  return new TorchTensor(storageArg(storage), offset, intList(size ?? null, 'size'), intList(stride ?? null, 'stride'));
}

/** The storage class a persistent id names (`torch.FloatStorage` ...), as a dtype name. */
export function storageDtype(value: PyValue): string {
  if (value instanceof PyGlobal && value.module === 'torch' && STORAGE_CLASSES[value.name]) return STORAGE_CLASSES[value.name];
  throw new ValidationError(`a storage has type ${describePy(value)}; supported: ${Object.keys(STORAGE_CLASSES).map((n) => `torch.${n}`).join(', ')}`);
}

function dtypeArg(value: PyValue): string {
  if (value instanceof PyGlobal && value.module === 'torch' && DTYPE_ATTRIBUTES[value.name]) return DTYPE_ATTRIBUTES[value.name];
  throw new ValidationError(`a tensor has dtype ${describePy(value)}, which this reader does not support`);
}

/** `_rebuild_tensor_v3`: the storage may be untyped bytes, reinterpreted with an explicit dtype. */
function rebuildTensorV3(args: PyValue[]): TorchTensor {
  const storage = storageArg(args[0]);
  const dtype = dtypeInfo(dtypeArg(args[6] ?? null));
  const typed =
    storage.dtype.name === dtype.name
      ? storage
      : new TorchStorage(storage.key, dtype, Math.floor((storage.numel * storage.dtype.bytes) / dtype.bytes), () => storage.bytes(), storage.littleEndian);
  return rebuildTensor([typed, ...args.slice(1)]);
}

function orderedDict(args: PyValue[]): PyDict {
  const dict = new PyDict(true);
  const items = args[0];
  if (Array.isArray(items)) {
    for (const pair of items) if (pair instanceof PyTuple && pair.items.length === 2) dict.entries.set(pair.items[0], pair.items[1]);
  }
  return dict;
}

function firstTensor(args: PyValue[], what: string): PyValue {
  const data = args[0];
  if (!(data instanceof TorchTensor)) throw new ValidationError(`${what} wraps ${describePy(data)}, not a tensor`);
  return data;
}

export function torchCallables(): Map<string, PyCallable> {
  const callables = new Map<string, PyCallable>([
    ['collections.OrderedDict', orderedDict],
    ['builtins.dict', () => new PyDict()],
    ['builtins.set', (args) => new PySet(Array.isArray(args[0]) ? [...args[0]] : [])],
    ['builtins.frozenset', (args) => new PySet(Array.isArray(args[0]) ? [...args[0]] : [])],
    ['builtins.bytearray', (args) => (args[0] instanceof Uint8Array ? args[0] : new Uint8Array())],
    [
      '_codecs.encode',
      (args) => {
        const [text] = args;
        if (typeof text !== 'string') throw new ValidationError(`_codecs.encode of ${describePy(text)}`);
        return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
      },
    ],
    ['torch.device', (args) => (typeof args[0] === 'string' ? args[0] : null)],
    ['torch._utils._rebuild_tensor', rebuildTensor],
    ['torch._utils._rebuild_tensor_v2', rebuildTensor],
    ['torch._utils._rebuild_tensor_v3', rebuildTensorV3],
    ['torch._utils._rebuild_parameter', (args) => firstTensor(args, 'a parameter')],
    ['torch._utils._rebuild_parameter_with_state', (args) => firstTensor(args, 'a parameter')],
  ]);
  // `_rebuild_from_type_v2(func, type, args, state)`: a tensor subclass; the farm keeps the tensor.
  const fromType: PyCallable = (args) => {
    const [func, , inner] = args;
    const fn = func instanceof PyGlobal ? callables.get(func.qualified) : undefined;
    if (!fn || !(inner instanceof PyTuple)) throw new ValidationError(`a tensor subclass is rebuilt with ${describePy(func ?? null)}, which is outside the allowlist`);
    return fn(inner.items);
  };
  callables.set('torch._tensor._rebuild_from_type_v2', fromType);
  callables.set('torch._utils._rebuild_from_type_v2', fromType);
  return callables;
}
