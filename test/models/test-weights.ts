/**
 * Supernet tensors for the export tests, chosen so that a wrong fold, slice or kernel transform
 * shows in the logits: BN with random gamma/beta/running stats, kernel-transform matrices far
 * from identity, random SE and classifier biases, and conv weights scaled by fan-in so the
 * signal neither vanishes nor explodes through 20 blocks (the reference's he_fout init shrinks
 * activations so much that biases alone would decide the logits).
 */
import { createRng } from '../../core/rng';
import type { SpaceDef } from '../../core/space';
import { supernetTensors } from '../../models/supernet-tensors';

export function testSupernetTensors(space: SpaceDef, seed: number): Map<string, Float32Array> {
  const rng = createRng(`test-weights/${space.name}/${seed}`);
  const tensors = new Map<string, Float32Array>();
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  for (const { name, shape } of supernetTensors(space)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = new Float32Array(n);
    if (name.endsWith('_matrix')) {
      const side = shape[0];
      for (let i = 0; i < n; i++) t[i] = rng.normal() * 0.15;
      for (let i = 0; i < side; i++) t[i * side + i] += 1;
    } else if (name.endsWith('running_var')) {
      for (let i = 0; i < n; i++) t[i] = uniform(0.3, 2);
    } else if (name.endsWith('running_mean')) {
      for (let i = 0; i < n; i++) t[i] = rng.normal() * 0.2;
    } else if (/bn\.(bn\.)?weight$/.test(name)) {
      for (let i = 0; i < n; i++) t[i] = uniform(0.5, 1.5);
    } else if (name.endsWith('.bias')) {
      for (let i = 0; i < n; i++) t[i] = rng.normal() * 0.1;
    } else {
      // conv [O, I, kh, kw] or linear [O, I]: N(0, 1/fan_in), fan_in = I*kh*kw (depthwise: kh*kw).
      const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
      const std = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) t[i] = rng.normal() * std;
    }
    tensors.set(name, t);
  }
  return tensors;
}
