/**
 * Moving artifact bytes in and out as base64 text instead of bytea parameters (added by the
 * coordinator). Why: PGlite encodes bytea parameters and results as hex in JavaScript, which
 * takes ~14 s to store and ~5 s to read a 20 MB ONNX model; base64 text takes ~1.1 s and ~0.3 s
 * (PostgreSQL via postgres.js: 0.9 s / 0.4 s as bytea, 0.5 s / 0.3 s as base64). Same rows, same
 * constraints and the same put-once semantics as putArtifact/getArtifact in artifacts.ts.
 */
import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { ValidationError } from '../../core/errors';
import type { Db } from '../client';
import { withDbErrors } from '../errors';
import { artifacts, type ArtifactInfo } from '../schema/artifacts';
import { getArtifactInfo, MAX_ARTIFACT_BYTES, type NewArtifact } from './artifacts';
import { rowsOf } from './raw';

/** Like putArtifact: stores the bytes unless an artifact with their sha256 exists. */
export async function putArtifactBase64(db: Db, input: NewArtifact): Promise<{ artifact: ArtifactInfo; created: boolean }> {
  if (input.bytes.byteLength === 0) throw new ValidationError('artifact bytes are empty');
  if (input.bytes.byteLength > MAX_ARTIFACT_BYTES) throw new ValidationError(`artifact of ${input.bytes.byteLength} bytes exceeds ${MAX_ARTIFACT_BYTES}`);
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  const existing = await getArtifactInfo(db, sha256);
  if (existing) return { artifact: existing, created: false };
  const base64 = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength).toString('base64');
  const inserted = await withDbErrors('artifact', () =>
    db.execute(sql`insert into ${artifacts} (sha256, bytes, size, kind, space, subnet_id, part_key, weights)
      values (${sha256}, decode(${base64}, 'base64'), ${input.bytes.byteLength}, ${input.kind}, ${input.space}, ${input.subnetId ?? null}, ${input.partKey ?? null}, ${input.weights})
      on conflict (sha256) do nothing returning sha256`),
  );
  const info = await getArtifactInfo(db, sha256);
  if (!info) throw new Error(`artifact ${sha256} vanished while being stored`);
  return { artifact: info, created: rowsOf(inserted).length > 0 };
}

/** The bytes of an artifact, or null when there is none with that sha256. */
export async function readArtifactBytes(db: Db, sha256: string): Promise<Uint8Array | null> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
  const [row] = await db
    .select({ data: sql<string>`encode(${artifacts.bytes}, 'base64')` })
    .from(artifacts)
    .where(eq(artifacts.sha256, sha256));
  if (!row) return null;
  const buf = Buffer.from(row.data, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
