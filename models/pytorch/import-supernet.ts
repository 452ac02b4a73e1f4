/**
 * Imports a reference OFA-MobileNetV3 supernet saved by PyTorch (`.pth`) as a farm `.ofa`
 * checkpoint. Every tensor is matched by name and shape against `supernetTensors(space)`;
 * anything missing, unexpected, mis-shaped, non-numeric or non-finite is reported by name, all
 * at once, and nothing is written.
 */
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ValidationError } from '../../core/errors';
import { SPACE_NAMES, SPACES, type SpaceName } from '../../core/space';
import { writeCheckpoint } from '../checkpoint';
import { supernetTensors } from '../supernet-tensors';
import { PyOpaque, describePy } from './py-values';
import { mapStateDict, locateStateDict } from './state-dict';
import { TorchTensor } from './tensor';
import { loadTorchFile, type TorchFormat } from './torch-load';

export interface SupernetImportReport {
  space: SpaceName;
  format: TorchFormat;
  /** Where the weights sat: "the top level", `"state_dict"`, ... */
  stateDict: string;
  tensors: number;
  /** Values held (running statistics and kernel matrices included). */
  values: number;
  /** `num_batches_tracked` buffers skipped. */
  skipped: number;
  /** Names changed: `module.` prefix, `mobile_inverted_conv`, the reference's fallbacks. */
  renamed: number;
  /** Tensors converted to float32, by source dtype. */
  converted: Record<string, number>;
  /** sha256 of the input file. */
  sha256: string;
}

export interface ImportedSupernet {
  space: SpaceName;
  /** Every supernet tensor in state_dict order, float32. */
  tensors: Map<string, Float32Array>;
  report: SupernetImportReport;
}

const SHOWN = 30;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Problems of the (name, shape) list against one space; empty when it matches. `reported`: names already named. */
function shapeProblems(
  space: SpaceName,
  found: ReadonlyMap<string, TorchTensor>,
  reported: ReadonlySet<string> = new Set(),
  originals: ReadonlyMap<string, string> = new Map(),
): string[] {
  const problems: string[] = [];
  const expected = supernetTensors(SPACES[space]);
  for (const spec of expected) {
    const t = found.get(spec.name);
    if (reported.has(spec.name)) continue;
    const original = originals.get(spec.name) ?? spec.name;
    const shown = original === spec.name ? `"${spec.name}"` : `"${original}" (as "${spec.name}")`;
    if (!t) problems.push(`missing tensor "${spec.name}" ${shapeText(spec.shape)}`);
    else if (!same(t.shape, spec.shape)) problems.push(`${shown} has shape ${shapeText(t.shape)}, expected ${shapeText(spec.shape)}`);
  }
  return problems;
}

function problemsError(label: string, space: SpaceName, problems: string[], hint: string): ValidationError {
  const shown = problems.slice(0, SHOWN).join('; ');
  const more = problems.length > SHOWN ? `; ... and ${problems.length - SHOWN} more` : '';
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return new ValidationError(`${label}: not a ${space} supernet: ${count}: ${shown}${more}${hint}; nothing was written`);
}

/** Which other space the tensors fit exactly, as a hint for a wrong --space. */
function otherSpaceHint(space: SpaceName, byName: ReadonlyMap<string, TorchTensor>): string {
  const fits = SPACE_NAMES.filter((s) => s !== space && supernetTensors(SPACES[s]).length === byName.size && shapeProblems(s, byName).length === 0);
  return fits.length > 0 ? ` (the file matches ${fits.join(', ')}: pass --space ${fits[0]})` : '';
}

function checkFinite(name: string, values: Float32Array): string | null {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return `"${name}" holds ${values[i]} at index ${i}`;
  }
  return null;
}

/** Reads a `.pth` (bytes) as a supernet of `space`; throws one ValidationError listing every problem. */
export function importSupernet(bytes: Uint8Array, space: SpaceName, label: string): ImportedSupernet {
  const file = loadTorchFile(bytes, label);
  const located = locateStateDict(file.root, label);
  const specs = supernetTensors(SPACES[space]);
  const expectedNames = new Set(specs.map((s) => s.name));
  const mapped = mapStateDict(located.dict, expectedNames);
  const problems: string[] = [];
  const byName = new Map<string, TorchTensor>();
  const originals = new Map<string, string>();
  const reported = new Set<string>();
  let renamed = 0;
  for (const entry of mapped.entries) {
    const shown = entry.original === entry.name ? `"${entry.original}"` : `"${entry.original}" (as "${entry.name}")`;
    if (!(entry.value instanceof TorchTensor)) {
      const why = entry.value instanceof PyOpaque ? `an object of ${entry.value.global.qualified}, outside the allowlist` : describePy(entry.value);
      problems.push(`${shown} is ${why}, not a tensor`);
      reported.add(entry.name);
      continue;
    }
    if (!entry.value.storage.dtype.numeric) {
      problems.push(`${shown} is a ${entry.value.dtype} tensor, not numbers`);
      reported.add(entry.name);
      continue;
    }
    const earlier = originals.get(entry.name);
    if (earlier !== undefined) {
      problems.push(`"${earlier}" and "${entry.original}" are both "${entry.name}"`);
      continue;
    }
    originals.set(entry.name, entry.original);
    if (!expectedNames.has(entry.name)) {
      problems.push(`unexpected tensor ${shown} ${shapeText(entry.value.shape)}`);
      continue;
    }
    if (entry.original !== entry.name) renamed++;
    byName.set(entry.name, entry.value);
  }
  problems.push(...shapeProblems(space, byName, reported, originals));
  if (problems.length > 0) {
    const all = new Map(byName);
    for (const entry of mapped.entries) if (entry.value instanceof TorchTensor && !all.has(entry.name)) all.set(entry.name, entry.value);
    throw problemsError(label, space, problems, otherSpaceHint(space, all));
  }
  const tensors = new Map<string, Float32Array>();
  const converted: Record<string, number> = {};
  let values = 0;
  for (const spec of specs) {
    const tensor = byName.get(spec.name)!;
    const data = tensor.toFloat32();
    const bad = checkFinite(spec.name, data);
    if (bad) problems.push(bad);
    if (tensor.dtype !== 'float32') converted[tensor.dtype] = (converted[tensor.dtype] ?? 0) + 1;
    tensors.set(spec.name, data);
    values += data.length;
  }
  if (problems.length > 0) throw problemsError(label, space, problems.map((p) => `${p} (not a finite number)`), '');
  return {
    space,
    tensors,
    report: {
      space,
      format: file.format,
      stateDict: located.where,
      tensors: tensors.size,
      values,
      skipped: mapped.skipped,
      renamed,
      converted,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    },
  };
}

export interface ImportSupernetFileOptions {
  from: string;
  space: SpaceName;
  out: string;
  /** Replace an existing output file (default: refuse, so nothing stored is lost). */
  force?: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** `.pth` file -> `.ofa` file. Validates everything before writing; the write is atomic. */
export async function importSupernetFile(opts: ImportSupernetFileOptions): Promise<SupernetImportReport & { out: string; bytesWritten: number }> {
  if (!opts.force && (await exists(opts.out))) throw new ValidationError(`${opts.out} exists; pass --force to replace it`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(opts.from);
  } catch (error) {
    throw new ValidationError(`cannot read ${opts.from}: ${(error as Error).message}`);
  }
  const imported = importSupernet(bytes, opts.space, opts.from);
  const { report } = imported;
  const bytesWritten = await writeCheckpoint(opts.out, {
    space: opts.space,
    phase: 'imported',
    meta: {
      importedFrom: { file: basename(opts.from), sha256: report.sha256, format: report.format, stateDict: report.stateDict, renamed: report.renamed, converted: report.converted },
      // A released supernet's BN statistics are the ones stored after training, not per subnet.
      bnRecalibrationNeeded: true,
    },
    tensors: imported.tensors,
  });
  return { ...report, out: opts.out, bytesWritten };
}
