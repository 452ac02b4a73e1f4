/**
 * Seeded random supernet weights with the reference initialisation (`init_models(net, "he_fout")`,
 * ofa/utils/my_modules.py): every Conv2d weight ~ N(0, sqrt(2 / (kh * kw * out_channels))) with
 * its bias zeroed, BN gamma 1 / beta 0, Linear weight ~ U(-1/sqrt(in), 1/sqrt(in)) with bias 0;
 * untouched by it: running mean 0 / var 1 and the kernel-transform matrices (identity).
 *
 * Each tensor is drawn from its own generator seeded by (seed, tensor name), so a tensor does not
 * depend on which other tensors were generated before: producing only the tensors a subnet needs
 * gives exactly the values of the full supernet. Tensors are generated lazily and cached.
 */
import { ValidationError } from '../core/errors';
import { createRng, sfc32 } from '../core/rng';
import type { SpaceDef } from '../core/space';
import { elementCount, supernetTensorShapes, supernetTensors, type SupernetWeights } from './supernet-tensors';

type InitKind = 'conv' | 'ones' | 'zeros' | 'linear' | 'identity';

/** Which reference initialiser applies to a supernet tensor, from its name. */
export function initKind(name: string): InitKind {
  if (name.endsWith('_matrix')) return 'identity';
  if (name.startsWith('classifier.')) return name.endsWith('.weight') ? 'linear' : 'zeros';
  if (/\.bn\.(bn\.)?weight$/.test(name) || name.endsWith('.running_var')) return 'ones';
  if (/\.bn\.(bn\.)?bias$/.test(name) || name.endsWith('.running_mean')) return 'zeros';
  if (name.endsWith('.bias')) return 'zeros';
  return 'conv';
}

/**
 * A fast local generator for the bulk draws (10.7M values for w1.2; calling the shared Rng per
 * value is ~2x slower): sfc32 seeded from core's seeded Rng, Box-Muller for normals. Same label,
 * same numbers on every machine: V8 computes log/sin/cos with its own fdlibm port, not the libm.
 */
function streamFor(label: string): () => number {
  const seedRng = createRng(label);
  const word = () => Math.floor(seedRng.next() * 4294967296) >>> 0;
  return sfc32(word(), word(), word(), word());
}

/** N(0, std) into every element (Box-Muller, both values of each pair used). */
function fillNormal(out: Float32Array, std: number, label: string): void {
  const next = streamFor(label);
  for (let i = 0; i < out.length; i += 2) {
    const u = (next() + 1) / 4294967297; // (0, 1): log(u) is finite
    const v = next() / 4294967296;
    const radius = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = radius * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(2 * Math.PI * v);
  }
}

/** U(-bound, bound) into every element. */
function fillUniform(out: Float32Array, bound: number, label: string): void {
  const next = streamFor(label);
  for (let i = 0; i < out.length; i++) out[i] = (2 * (next() / 4294967296) - 1) * bound;
}

/** Fills a tensor with the reference initialisation; random draws are labelled by (seed, name). */
function initialise(name: string, shape: readonly number[], seed: number): Float32Array {
  const out = new Float32Array(elementCount(shape));
  const kind = initKind(name);
  switch (kind) {
    case 'ones':
      out.fill(1);
      break;
    case 'zeros':
      break;
    case 'identity': {
      const n = shape[0];
      for (let i = 0; i < n; i++) out[i * n + i] = 1;
      break;
    }
    case 'conv': {
      // he_fout: n = kernel_h * kernel_w * out_channels (also for depthwise and SE convs).
      fillNormal(out, Math.sqrt(2 / (shape[2] * shape[3] * shape[0])), `${seed}/${name}`);
      break;
    }
    case 'linear': {
      fillUniform(out, 1 / Math.sqrt(shape[1]), `${seed}/${name}`);
      break;
    }
  }
  return out;
}

export function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValidationError(`seed must be a non-negative integer, got ${seed}`);
  return seed;
}

/**
 * The supernet of `space` initialised like the reference with a seed. Lazy: a tensor is drawn on
 * first use and kept, so reuse one object for many exports of the same (space, seed).
 * @example exportSubnet({ space, config, weights: randomSupernetWeights(space, 0) })
 */
export function randomSupernetWeights(space: SpaceDef, seed: number): SupernetWeights {
  checkSeed(seed);
  const shapes = supernetTensorShapes(space);
  const made = new Map<string, Float32Array>();
  return {
    space,
    source: `random he_fout seed ${seed}`,
    tensor(name) {
      let t = made.get(name);
      if (t) return t;
      const shape = shapes.get(name);
      if (!shape) throw new Error(`"${name}" is not a tensor of the ${space.name} supernet`);
      t = initialise(name, shape, seed);
      made.set(name, t);
      return t;
    },
  };
}

/** Every tensor of a weight source, in state_dict order (for writing a checkpoint). */
export function materializeSupernet(weights: SupernetWeights): Map<string, Float32Array> {
  return new Map(supernetTensors(weights.space).map((s) => [s.name, weights.tensor(s.name)]));
}

/** A weight source over tensors held in memory (a trainer's state, a test's hand-made weights). */
export function inMemoryWeights(space: SpaceDef, tensors: ReadonlyMap<string, Float32Array>, source: string): SupernetWeights {
  const shapes = supernetTensorShapes(space);
  return {
    space,
    source,
    tensor(name) {
      const t = tensors.get(name);
      if (!t) throw new Error(`${source} has no tensor "${name}"`);
      const shape = shapes.get(name);
      if (!shape || t.length !== elementCount(shape)) throw new Error(`${source}: tensor "${name}" has ${t.length} values, expected shape [${shape?.join(', ') ?? '?'}]`);
      return t;
    },
  };
}
