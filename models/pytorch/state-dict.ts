/**
 * Finding the state dict inside a loaded checkpoint and normalising its names the way the
 * reference's `OFAMobileNetV3.load_state_dict` does: a data-parallel `module.` prefix is
 * dropped, `.mobile_inverted_conv.` (older releases) becomes `.conv.`, and a name that is still
 * unknown is tried with the reference's fallbacks (`.bn.bn.` <-> `.bn.`, `.conv.conv.weight`
 * <-> `.conv.weight`, `.linear.linear.` <-> `.linear.`). `num_batches_tracked` carries no
 * weights and is skipped.
 */
import { ValidationError } from '../../core/errors';
import { PyDict, PyOpaque, describePy, type PyValue } from './py-values';
import { TorchTensor } from './tensor';

/** Keys under which training scripts nest the weights, in the order they are tried. */
export const STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'weights'] as const;

export interface LocatedStateDict {
  dict: PyDict;
  /** "the top level" or `"state_dict"`, for messages. */
  where: string;
}

function tensorCount(dict: PyDict): number {
  let n = 0;
  for (const value of dict.entries.values()) if (value instanceof TorchTensor) n++;
  return n;
}

function wholeObject(value: PyOpaque, label: string): ValidationError {
  return new ValidationError(
    `${label}: the file pickles a whole ${value.global.qualified} object (torch.save(model)), which this reader does not execute; ` +
      'save the weights alone with torch.save(model.state_dict(), "supernet.pth")',
  );
}

/** The dict of tensors in a checkpoint: the top level itself, or one nested under a usual key. */
export function locateStateDict(root: PyValue, label: string): LocatedStateDict {
  if (root instanceof PyOpaque) throw wholeObject(root, label);
  if (!(root instanceof PyDict)) throw new ValidationError(`${label}: the checkpoint holds ${describePy(root)}, not a dict of tensors`);
  for (const key of STATE_DICT_KEYS) {
    const value = root.get(key);
    if (value instanceof PyDict && tensorCount(value) > 0) return { dict: value, where: `"${key}"` };
    if (value instanceof PyOpaque) throw wholeObject(value, label);
  }
  if (tensorCount(root) > 0) return { dict: root, where: 'the top level' };
  const keys = [...root.entries.keys()].filter((k): k is string => typeof k === 'string');
  throw new ValidationError(
    `${label}: no tensors at the top level nor under ${STATE_DICT_KEYS.map((k) => `"${k}"`).join(', ')}` +
      (keys.length > 0 ? ` (top-level keys: ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', ...' : ''})` : ''),
  );
}

/** `module.` prefixes and the older block name; what the reference strips before anything else. */
export function normaliseName(name: string): string {
  let n = name;
  while (n.startsWith('module.')) n = n.slice('module.'.length);
  return n.replace('.mobile_inverted_conv.', '.conv.');
}

/**
 * The reference's fallback chain for a name the model does not know (one rewrite, first rule
 * that applies, as in `load_state_dict`); null when no rule applies.
 */
export function fallbackName(name: string): string | null {
  if (name.includes('.bn.bn.')) return name.replaceAll('.bn.bn.', '.bn.');
  if (name.includes('.conv.conv.weight')) return name.replaceAll('.conv.conv.weight', '.conv.weight');
  if (name.includes('.linear.linear.')) return name.replaceAll('.linear.linear.', '.linear.');
  if (name.includes('.linear.')) return name.replaceAll('.linear.', '.linear.linear.');
  if (name.includes('bn.')) return name.replaceAll('bn.', 'bn.bn.');
  if (name.includes('conv.weight')) return name.replaceAll('conv.weight', 'conv.conv.weight');
  return null;
}

export interface NamedTensor {
  /** The name in the file. */
  original: string;
  /** The model's name it maps to (or the normalised name when it maps to none). */
  name: string;
  value: PyValue;
}

export interface MappedStateDict {
  entries: NamedTensor[];
  /** `num_batches_tracked` buffers, skipped. */
  skipped: number;
  /** Names the fallbacks rewrote, for the import report. */
  rewritten: number;
}

/** Maps every entry of a state dict onto the names a model expects. */
export function mapStateDict(dict: PyDict, expected: ReadonlySet<string>): MappedStateDict {
  const entries: NamedTensor[] = [];
  let skipped = 0;
  let rewritten = 0;
  for (const [key, value] of dict.entries) {
    const original = typeof key === 'string' ? key : String(key);
    if (original.endsWith('num_batches_tracked')) {
      skipped++;
      continue;
    }
    let name = normaliseName(original);
    if (!expected.has(name)) {
      const alternative = fallbackName(name);
      if (alternative !== null && expected.has(alternative)) {
        name = alternative;
        rewritten++;
      }
    }
    entries.push({ original, name, value });
  }
  return { entries, skipped, rewritten };
}
