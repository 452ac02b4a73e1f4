/**
 * `torch.load` without Python, for the two formats `torch.save` writes:
 * - zip (PyTorch >= 1.6): `<archive>/data.pkl` plus one stored entry per storage,
 *   `<archive>/data/<key>`, and since 2.1 `<archive>/byteorder`;
 * - legacy (`_use_new_zipfile_serialization=False` or PyTorch < 1.6): pickles of the magic
 *   number, the protocol version and the system info, then the object, then the list of storage
 *   keys, then each storage as an int64 element count followed by its raw bytes.
 * The result is inert values (see py-values.ts); tensors read their bytes only when asked.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import { ValidationError, errorMessage } from '../../core/errors';
import { unpickle } from './pickle';
import { PyDict, PyTuple, describePy, type PyValue } from './py-values';
import { storageDtype, torchCallables } from './torch-globals';
import { TorchStorage, dtypeInfo } from './tensor';

export type TorchFormat = 'zip' | 'legacy';

export interface TorchFile {
  format: TorchFormat;
  root: PyValue;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** No single entry of a checkpoint this farm reads comes near this; a larger claim is a zip bomb or corruption. */
const MAX_ENTRY_BYTES = 2 ** 31 - 1;
const RESAVE = 'load it in PyTorch and save the state dict again with a PyTorch >= 1.6: torch.save(model.state_dict(), "supernet.pth")';

function startsWith(bytes: Uint8Array, text: string, at = 0): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function pidParts(pid: PyValue, label: string): PyValue[] {
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') {
    throw new ValidationError(`${label}: the pickle references ${describePy(pid)} where torch.save writes ("storage", type, key, location, size)`);
  }
  return pid.items;
}

function keyOf(value: PyValue, label: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new ValidationError(`${label}: a storage key is ${describePy(value)}, not a string`);
}

function numelOf(value: PyValue, label: string, key: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${label}: storage "${key}" declares ${describePy(value)} elements`);
  }
  return value;
}

function loadZip(bytes: Uint8Array, label: string): TorchFile {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (info: UnzipFileInfo) => {
        if (info.compression !== 0 && info.compression !== 8) throw new Error(`entry ${info.name} uses compression method ${info.compression}`);
        if (info.originalSize > MAX_ENTRY_BYTES) throw new Error(`entry ${info.name} claims ${info.originalSize} bytes`);
        return true;
      },
    });
  } catch (error) {
    throw new ValidationError(`${label}: not a readable zip archive (truncated or corrupt): ${errorMessage(error)}`);
  }
  const names = Object.keys(files);
  if (names.some((n) => /(^|\/)constants\.pkl$/.test(n)) && names.some((n) => /(^|\/)code\//.test(n))) {
    throw new ValidationError(`${label}: this is a TorchScript archive (torch.jit.save), not a checkpoint; save the weights with torch.save(model.state_dict(), "supernet.pth")`);
  }
  const pkl = names.find((n) => /^[^/]*\/data\.pkl$/.test(n)) ?? names.find((n) => n === 'data.pkl');
  if (!pkl) throw new ValidationError(`${label}: a zip archive without data.pkl; not a file written by torch.save (entries: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = files[`${prefix}byteorder`];
  const byteOrder = order ? new TextDecoder().decode(order).trim() : 'little';
  if (byteOrder !== 'little' && byteOrder !== 'big') throw new ValidationError(`${label}: unknown byteorder record "${byteOrder}"`);
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const [, type, rawKey, , rawNumel] = pidParts(pid, label);
    const key = keyOf(rawKey, label);
    const existing = storages.get(key);
    if (existing) return existing;
    const dtype = dtypeInfo(storageDtype(type));
    const entry = `${prefix}data/${key}`;
    const storage = new TorchStorage(
      key,
      dtype,
      numelOf(rawNumel, label, key),
      () => {
        const data = files[entry];
        if (!data) throw new ValidationError(`${label}: storage "${key}" (${entry}) is missing from the archive: the file is truncated or corrupt`);
        return data;
      },
      byteOrder === 'little',
    );
    storages.set(key, storage);
    return storage;
  };
  const root = unpickle(files[pkl], { label: `${label} (${pkl})`, callables: torchCallables(), persistentLoad }).value;
  return { format: 'zip', root };
}

interface LegacyStorage {
  storage: TorchStorage;
  /** Byte range in the file once the data section is read. */
  data: Uint8Array | null;
}

function loadLegacy(bytes: Uint8Array, label: string): TorchFile {
  const callables = torchCallables();
  const magic = unpickle(bytes, { label, callables });
  if (magic.value !== LEGACY_MAGIC) throw new ValidationError(`${label}: not a PyTorch checkpoint (a pickle of ${describePy(magic.value)} where torch.save writes its magic number)`);
  const protocol = unpickle(bytes, { label, callables, offset: magic.end });
  if (protocol.value !== LEGACY_PROTOCOL) throw new ValidationError(`${label}: legacy checkpoint protocol ${describePy(protocol.value)} is not supported (expected ${LEGACY_PROTOCOL}); ${RESAVE}`);
  const sysInfo = unpickle(bytes, { label, callables, offset: protocol.end });
  const littleEndian = !(sysInfo.value instanceof PyDict) || sysInfo.value.get('little_endian') !== false;
  const roots = new Map<string, LegacyStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const [, type, rawKey, , rawNumel, viewMetadata] = pidParts(pid, label);
    const key = keyOf(rawKey, label);
    let root = roots.get(key);
    if (!root) {
      const entry: LegacyStorage = { data: null, storage: null as unknown as TorchStorage };
      entry.storage = new TorchStorage(
        key,
        dtypeInfo(storageDtype(type)),
        numelOf(rawNumel, label, key),
        () => {
          if (!entry.data) throw new ValidationError(`${label}: storage "${key}" has no data: the file is truncated or corrupt`);
          return entry.data;
        },
        littleEndian,
      );
      roots.set(key, entry);
      root = entry;
    }
    if (!(viewMetadata instanceof PyTuple)) return root.storage;
    // Storage views of PyTorch < 0.4: (view_key, offset, size) into the root storage.
    const [viewKey, offset, size] = viewMetadata.items;
    const base = root.storage;
    if (typeof offset !== 'number' || typeof size !== 'number') throw new ValidationError(`${label}: a storage view has a malformed offset or size`);
    return new TorchStorage(keyOf(viewKey, label), base.dtype, size, () => base.bytes().subarray(offset * base.dtype.bytes), littleEndian);
  };
  const main = unpickle(bytes, { label, callables, persistentLoad, offset: sysInfo.end });
  const keys = unpickle(bytes, { label, callables, offset: main.end });
  if (!Array.isArray(keys.value)) throw new ValidationError(`${label}: the storage key list is ${describePy(keys.value)}, not a list`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const rawKey of keys.value) {
    const key = keyOf(rawKey, label);
    const entry = roots.get(key);
    if (!entry) throw new ValidationError(`${label}: the data section lists storage "${key}", which the pickle never uses`);
    if (pos + 8 > bytes.length) throw new ValidationError(`${label}: truncated: the data of storage "${key}" is missing`);
    const count = Number(littleEndian ? view.getBigInt64(pos, true) : view.getBigInt64(pos, false));
    const length = count * entry.storage.dtype.bytes;
    if (count !== entry.storage.numel) throw new ValidationError(`${label}: storage "${key}" holds ${count} elements, but the pickle declares ${entry.storage.numel}`);
    if (pos + 8 + length > bytes.length) {
      throw new ValidationError(`${label}: truncated: storage "${key}" needs ${length} bytes at byte ${pos + 8}, but the file ends at ${bytes.length}`);
    }
    entry.data = bytes.slice(pos + 8, pos + 8 + length);
    pos += 8 + length;
  }
  return { format: 'legacy', root: main.value };
}

/**
 * Reads a file written by `torch.save`. Throws a ValidationError naming the file for anything
 * else (an empty, truncated, corrupt or foreign file, a TorchScript archive, the old tar format).
 */
export function loadTorchFile(input: Uint8Array, label: string): TorchFile {
  // A Node Buffer's slice() is a view, not a copy: work on a plain Uint8Array view instead.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length === 0) throw new ValidationError(`${label}: the file is empty`);
  if (startsWith(bytes, 'PK\x03\x04') || startsWith(bytes, 'PK\x05\x06')) {
    if (bytes.length < 22) throw new ValidationError(`${label}: not a readable zip archive (truncated or corrupt): only ${bytes.length} bytes`);
    return loadZip(bytes, label);
  }
  if (bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a) return loadLegacy(bytes, label);
  if (startsWith(bytes, 'ustar', 257)) throw new ValidationError(`${label}: a tar checkpoint of PyTorch < 0.4, which this reader does not support; ${RESAVE}`);
  if (startsWith(bytes, 'OFA-CKPT')) throw new ValidationError(`${label}: already an .ofa checkpoint of the farm; use it as it is (--checkpoint)`);
  if (bytes[0] === 0x80) throw new ValidationError(`${label}: a plain pickle, not a file written by torch.save; ${RESAVE}`);
  throw new ValidationError(`${label}: not a PyTorch checkpoint (neither torch.save's zip format nor its legacy format)`);
}
