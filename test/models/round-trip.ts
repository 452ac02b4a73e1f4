/**
 * The export round trip shared by the per-space test files: 50 seeded random configs exported
 * from a checkpoint written with the `.ofa` writer and read back; every model runs in
 * onnxruntime-node at its own resolution, its initializer count equals the count derived here
 * from core's buildArch, and its logits equal the independent reference forward of the same
 * (unfolded, in-memory) supernet tensors within 1e-4 relative error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArch, type SubnetArch } from '../../core/arch';
import type { SubnetConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES, type SpaceName } from '../../core/space';
import { checkpointWeights, readCheckpoint, writeCheckpoint } from '../../models/checkpoint';
import { exportSubnet } from '../../models/export';
import { decodeModel } from '../../models/onnx-proto';
import type { SupernetWeights } from '../../models/supernet-tensors';
import { referenceForward } from './reference-forward';
import { testSupernetTensors } from './test-weights';

export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

/** Folded weight count of a subnet, straight from the architecture: convs + one bias per BN channel. */
export function expectedFoldedCount(arch: SubnetArch): number {
  const s = arch.stem;
  let n = s.cout * s.cin * s.kernel * s.kernel + s.cout;
  for (const b of arch.blocks) {
    if (b.expand !== 1) n += b.cin * b.mid + b.mid;
    n += b.mid * b.kernel * b.kernel + b.mid;
    if (b.se) n += b.mid * b.seMid + b.seMid + b.seMid * b.mid + b.mid;
    n += b.mid * b.cout + b.cout;
  }
  const { finalExpand: fe, featureMix: fm, classifier: cl } = arch.head;
  return n + fe.cin * fe.cout + fe.cout + fm.cin * fm.cout + cl.cin * cl.cout + cl.cout;
}

export function initializerCount(bytes: Uint8Array): number {
  return decodeModel(bytes).graph.initializer.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
}

export async function runOnnx(bytes: Uint8Array, input: Float32Array, shape: number[], output = 'logits'): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  try {
    const result = await session.run({ input: new ort.Tensor('float32', input, shape) });
    return result[output];
  } finally {
    await session.release();
  }
}

/** max |a - b| / max |b|: relative to the logits' scale, so near-zero logits do not blow it up. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

export interface RoundTripPlan {
  /** Compare with the reference forward at each config's own resolution (else at the smallest). */
  compareAtOwnResolution: boolean;
  /** When comparing at the smallest resolution: how many configs are also compared at their own. */
  extraOwnResolution: number;
}

export function describeRoundTrip(name: SpaceName, plan: RoundTripPlan): void {
  const space = SPACES[name];
  describe(`${name}: 50 random configs round-trip through export`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofa-export-'));
    const tensors = testSupernetTensors(space, 11);
    let weights: SupernetWeights;
    const rng = createRng(`round-trip/${name}`);
    const configs = Array.from({ length: 50 }, () => sampleConfig(space, rng));

    beforeAll(async () => {
      const file = join(dir, 'supernet.ofa');
      await writeCheckpoint(file, { space: name, phase: 'test', createdAt: '2025-01-01T00:00:00.000Z', tensors });
      weights = checkpointWeights(await readCheckpoint(file));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const compare = async (config: SubnetConfig): Promise<number> => {
      const exported = exportSubnet({ space, config, weights });
      const image = new Float64Array(space.inputChannels * config.r * config.r).map(() => rng.normal());
      const logits = await runOnnx(exported.bytes, Float32Array.from(image), exported.inputShape);
      return relativeError(logits.data as Float32Array, referenceForward(space, tensors, config, image));
    };

    configs.forEach((config, i) => {
      it(`config ${i} (r=${config.r}, d=${config.d.join('')})`, async () => {
        const exported = exportSubnet({ space, config, weights });
        const expected = expectedFoldedCount(buildArch(space, config));
        expect(exported.weightCount).toBe(expected);
        expect(initializerCount(exported.bytes)).toBe(expected);
        expect(exported.inputShape).toEqual([1, space.inputChannels, config.r, config.r]);
        if (plan.compareAtOwnResolution) {
          expect(await compare(config)).toBeLessThan(1e-4);
          return;
        }
        const input = new Float32Array(space.inputChannels * config.r * config.r).map(() => rng.normal());
        const logits = await runOnnx(exported.bytes, input, exported.inputShape);
        expect(logits.dims).toEqual([1, space.numClasses]);
        expect((logits.data as Float32Array).every(Number.isFinite)).toBe(true);
        expect(await compare({ ...config, r: space.resolutions[0] })).toBeLessThan(1e-4);
        if (i < plan.extraOwnResolution) expect(await compare(config)).toBeLessThan(1e-4);
      });
    });
  });
}
