/**
 * ONNX artifacts: stored once by the sha256 of their bytes, fetched by hash. Bytes cross the
 * driver as base64 text (decode/encode in SQL), not as bytea parameters: PGlite converts bytea to
 * hex in JavaScript, ~20x slower (a 20 MB model: ~23 s to store and ~5 s to read as bytea, ~1.3 s
 * and ~0.8 s as base64; measured here under load).
 */
import { createHash } from 'node:crypto';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { ValidationError } from '../../core/errors';
import type { Db } from '../client';
import { withDbErrors } from '../errors';
import { artifacts, type ArtifactInfo, type ArtifactKind, type ArtifactRow } from '../schema/artifacts';

/** Bytes of one artifact at most (an ONNX of the largest w1.2 subnet is ~40 MB). */
export const MAX_ARTIFACT_BYTES = 512 * 1024 * 1024;

export interface NewArtifact {
  bytes: Uint8Array;
  kind: ArtifactKind;
  space: string;
  subnetId?: string | null;
  partKey?: string | null;
  /** e.g. "seed:0" or "checkpoint:<sha256>". */
  weights: string;
}

const { bytes: _bytes, ...infoColumns } = getTableColumns(artifacts);

/**
 * Stores an artifact unless one with the same sha256 exists (then the stored one is kept).
 * Returns its info and whether this call stored it.
 */
export async function putArtifact(db: Db, input: NewArtifact): Promise<{ artifact: ArtifactInfo; created: boolean }> {
  if (input.bytes.byteLength === 0) throw new ValidationError('artifact bytes are empty');
  if (input.bytes.byteLength > MAX_ARTIFACT_BYTES) throw new ValidationError(`artifact of ${input.bytes.byteLength} bytes exceeds ${MAX_ARTIFACT_BYTES}`);
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  const base64 = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength).toString('base64');
  const inserted = await withDbErrors('artifact', () =>
    db
      .insert(artifacts)
      .values({
        sha256,
        bytes: sql`decode(${base64}, 'base64')`,
        size: input.bytes.byteLength,
        kind: input.kind,
        space: input.space,
        subnetId: input.subnetId ?? null,
        partKey: input.partKey ?? null,
        weights: input.weights,
      })
      .onConflictDoNothing({ target: artifacts.sha256 })
      .returning(infoColumns),
  );
  if (inserted[0]) return { artifact: inserted[0], created: true };
  const existing = await getArtifactInfo(db, sha256);
  if (!existing) throw new Error(`artifact ${sha256} vanished while being stored`);
  return { artifact: existing, created: false };
}

/** The artifact with its bytes, or null. */
export async function getArtifact(db: Db, sha256: string): Promise<ArtifactRow | null> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
  const [row] = await db
    .select({ ...infoColumns, base64: sql<string>`encode(${artifacts.bytes}, 'base64')` })
    .from(artifacts)
    .where(eq(artifacts.sha256, sha256));
  if (!row) return null;
  const { base64, ...info } = row;
  const buf = Buffer.from(base64, 'base64');
  return { ...info, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/** The artifact without its bytes, or null. */
export async function getArtifactInfo(db: Db, sha256: string): Promise<ArtifactInfo | null> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
  const [row] = await db.select(infoColumns).from(artifacts).where(eq(artifacts.sha256, sha256));
  return row ?? null;
}

/** An already built model of this subnet (or part) with these weights, if any. */
export async function findArtifactFor(
  db: Db,
  target: { subnetId: string; weights: string } | { partKey: string; weights: string },
): Promise<ArtifactInfo | null> {
  const where =
    'subnetId' in target
      ? and(eq(artifacts.subnetId, target.subnetId), eq(artifacts.weights, target.weights))
      : and(eq(artifacts.partKey, target.partKey), eq(artifacts.weights, target.weights));
  const [row] = await db.select(infoColumns).from(artifacts).where(where).limit(1);
  return row ?? null;
}
