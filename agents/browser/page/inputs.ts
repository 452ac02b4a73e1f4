/** The model input every agent kind feeds: seeded, so a shape gets the same numbers everywhere. */
import { createRng } from '../../../core/rng';

/** The same seed as the edge agent's (agents/edge/backend.ts). */
export const INPUT_SEED = 'ofa-farm-input';
const MAX_INPUT_ELEMENTS = 64 * 1024 * 1024;

/** A seeded uniform [-1, 1) float32 input of `shape`. */
export function seededInput(shape: readonly number[]): Float32Array {
  const count = shape.reduce((p, d) => p * d, 1);
  if (!Number.isSafeInteger(count) || count > MAX_INPUT_ELEMENTS) throw new Error(`input shape [${shape.join(', ')}] has ${count} elements, more than ${MAX_INPUT_ELEMENTS}`);
  const rng = createRng(INPUT_SEED);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = rng.next() * 2 - 1;
  return data;
}
