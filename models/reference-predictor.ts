/**
 * The reference tutorial's pretrained accuracy predictor (`acc_predictor.pth`, loaded by
 * ofa/tutorial/accuracy_predictor.py into `nn.Sequential(Linear(128, 400), ReLU, Linear(400,
 * 400), ReLU, Linear(400, 400), ReLU, Linear(400, 1))`, so its state dict is `0.weight`,
 * `0.bias`, `2.weight`, ..., `6.bias`) as a farm accuracy predictor: the `ofa-tutorial-128`
 * encoding (`spec2feats`), every layer with a bias, no base_acc offset. It predicts holdout
 * accuracy of the reference w1.2 supernet as a fraction; the tutorial's numbers run higher than
 * ImageNet-val top-1 (81.71% predicted vs 76.9% measured for its Note10 25 ms net), so use it to rank.
 */
import { basename } from 'node:path';
import { ValidationError } from '../core/errors';
import type { SpaceName } from '../core/space';
import { createAccuracyPredictor, type AccuracyPredictor } from './accuracy-predictor';
import type { DenseLayer } from './mlp';
import { describePy, type PyDict, type PyValue } from './pytorch/py-values';
import { locateStateDict, normaliseName } from './pytorch/state-dict';
import { TorchTensor } from './pytorch/tensor';
import { loadTorchFile } from './pytorch/torch-load';

/** Layer sizes of the tutorial's MLP. */
export const TUTORIAL_PREDICTOR_SIZES = [128, 400, 400, 400, 1] as const;
/** Indices of its Linear layers inside the nn.Sequential (ReLUs sit in between). */
const LINEAR_INDICES = [0, 2, 4, 6];
/** Prefixes other scripts put before the Sequential's indices (`model.0.weight`, `layers.0.weight`). */
const PREFIXES = ['model.', 'layers.', 'net.', 'mlp.'];

export const TUTORIAL_PREDICTOR_LABEL = 'reference acc_predictor.pth (OFA tutorial; holdout accuracy of the w1.2 supernet)';

function stripPrefix(name: string): string {
  const n = normaliseName(name);
  for (const p of PREFIXES) if (n.startsWith(p) && /^\d/.test(n.slice(p.length))) return n.slice(p.length);
  return n;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The four Linear layers of the tutorial MLP, checked by name and shape (every problem named). */
export function tutorialPredictorLayers(dict: PyDict, label: string): DenseLayer[] {
  const byName = new Map<string, { original: string; value: PyValue }>();
  const problems: string[] = [];
  for (const [key, value] of dict.entries) {
    const original = String(key);
    const name = stripPrefix(original);
    if (byName.has(name)) problems.push(`"${byName.get(name)!.original}" and "${original}" are both "${name}"`);
    byName.set(name, { original, value });
  }
  const expected = new Map<string, number[]>();
  LINEAR_INDICES.forEach((index, l) => {
    expected.set(`${index}.weight`, [TUTORIAL_PREDICTOR_SIZES[l + 1], TUTORIAL_PREDICTOR_SIZES[l]]);
    expected.set(`${index}.bias`, [TUTORIAL_PREDICTOR_SIZES[l + 1]]);
  });
  for (const [name, entry] of byName) {
    if (!expected.has(name)) problems.push(`unexpected tensor "${entry.original}"`);
  }
  const tensors = new Map<string, Float32Array>();
  for (const [name, shape] of expected) {
    const entry = byName.get(name);
    if (!entry) {
      problems.push(`missing tensor "${name}" ${shapeText(shape)}`);
      continue;
    }
    const t = entry.value;
    if (!(t instanceof TorchTensor)) problems.push(`"${entry.original}" is ${describePy(t)}, not a tensor`);
    else if (shapeText(t.shape) !== shapeText(shape)) problems.push(`"${entry.original}" has shape ${shapeText(t.shape)}, expected ${shapeText(shape)}`);
    else if (!t.storage.dtype.numeric) problems.push(`"${entry.original}" is a ${t.dtype} tensor`);
    else {
      const data = t.toFloat32().slice();
      if (!data.every(Number.isFinite)) problems.push(`"${entry.original}" holds a value that is not a finite number`);
      tensors.set(name, data);
    }
  }
  if (problems.length > 0) {
    throw new ValidationError(`${label}: not the tutorial's accuracy predictor (Linear 128-400-400-400-1 with biases): ${problems.join('; ')}`);
  }
  return LINEAR_INDICES.map((index, l) => ({
    inputs: TUTORIAL_PREDICTOR_SIZES[l],
    outputs: TUTORIAL_PREDICTOR_SIZES[l + 1],
    weight: tensors.get(`${index}.weight`)!,
    bias: tensors.get(`${index}.bias`)!,
  }));
}

export interface ImportPredictorOptions {
  space: SpaceName;
  /** Names the file in errors and in the predictor's origin. */
  label: string;
  /** Overrides TUTORIAL_PREDICTOR_LABEL. */
  originLabel?: string;
  /** The supernet the accuracies belong to (default: the reference w1.2 release). */
  checkpoint?: string | null;
}

/** `acc_predictor.pth` bytes -> a farm accuracy predictor labelled with its origin. */
export function importTutorialPredictor(bytes: Uint8Array, opts: ImportPredictorOptions): AccuracyPredictor {
  const file = loadTorchFile(bytes, opts.label);
  const { dict } = locateStateDict(file.root, opts.label);
  const layers = tutorialPredictorLayers(dict, opts.label);
  return createAccuracyPredictor({
    space: opts.space,
    encoding: 'ofa-tutorial-128',
    mlp: { layers },
    baseAcc: 0,
    origin: {
      kind: 'imported',
      label: opts.originLabel ?? TUTORIAL_PREDICTOR_LABEL,
      checkpoint: opts.checkpoint === undefined ? 'ofa_mbv3_d234_e346_k357_w1.2 (reference release)' : opts.checkpoint,
      source: basename(opts.label),
    },
  });
}
