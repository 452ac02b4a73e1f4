import * as ort from 'onnxruntime-node';
import { beforeEach, expect, it } from 'vitest';
import { SPACES } from '../../../core/space';
import { readArtifactBytes } from '../../../db/queries/artifact-blobs';
import { upsertParts } from '../../../db/queries/subnets';
import { randomSupernetWeights } from '../../../models/random-weights';
import { blocksPartRows, buildPartArtifact, partOfRow } from '../../../server/twins/blocks-sweep';
import { subnetPartKeys } from '../../../server/twins/parts';
import { describeEachDb } from '../../helpers/databases';

const w10 = SPACES['ofa-mbv3-w1.0'];

describeEachDb('blocks sweep', (getDb) => {
  beforeEach(() => getDb().reset());

  it('stores every distinct part once and builds runnable part models', async () => {
    const { db } = getDb();
    const rows = blocksPartRows(w10, [224, 128]);
    // 93 parts per resolution, nothing shared between 128 and 224 but the deepest stage's shapes.
    expect(rows.length).toBeGreaterThan(150);
    expect(rows.length).toBeLessThanOrEqual(2 * 93);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    const stored = await upsertParts(db, rows);
    expect(stored).toHaveLength(rows.length);
    // Every part of a subnet at a measured resolution is in the table.
    const keys = new Set(rows.map((r) => r.key));
    for (const key of subnetPartKeys(w10, { ks: Array(20).fill(5), e: Array(20).fill(4), d: [2, 3, 4, 3, 2], r: 128 })) expect(keys.has(key)).toBe(true);
    const block = stored.find((r) => r.kind === 'block' && r.key.includes('-se-'))!;
    expect(partOfRow(block).kind).toBe('block');
    const weights = randomSupernetWeights(w10, 0);
    const built = await buildPartArtifact(db, w10, block, weights, 'seed:0');
    const again = await buildPartArtifact(db, w10, block, weights, 'seed:0');
    expect(again.sha256).toBe(built.sha256);
    const bytes = (await readArtifactBytes(db, built.sha256))!;
    const session = await ort.InferenceSession.create(bytes);
    const size = built.inputShape.reduce((a, b) => a * b, 1);
    const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(size).fill(0.1), built.inputShape) });
    expect(Object.keys(out)).toEqual(['output']);
    await session.release();
    expect(() => partOfRow({ key: 'stem:r999', spec: { kind: 'stem', resolution: 128 } })).toThrow(/does not describe it/);
  });
});
