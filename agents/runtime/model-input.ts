/**
 * The model input every agent kind feeds: seeded uniform [-1, 1) float32 values, so a shape gets
 * the same numbers on every device and runtime (recorded as `inputSeed` in the provenance).
 */
import { createRng } from '../../core/rng';

export const INPUT_SEED = 'ofa-farm-input';
const MAX_INPUT_ELEMENTS = 64 * 1024 * 1024;

export function seededInput(shape: readonly number[]): Float32Array {
  const count = shape.reduce((p, d) => p * d, 1);
  if (!Number.isSafeInteger(count) || count > MAX_INPUT_ELEMENTS) throw new Error(`input shape [${shape.join(', ')}] has ${count} elements, more than ${MAX_INPUT_ELEMENTS}`);
  const rng = createRng(INPUT_SEED);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = rng.next() * 2 - 1;
  return data;
}
