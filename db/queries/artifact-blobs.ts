/**
 * Former fast path for artifact bytes; artifacts.ts now moves bytes as base64 itself. Kept as
 * aliases for callers written against these names.
 */
import type { Db } from '../client';
import { getArtifact, putArtifact } from './artifacts';

/** Same as putArtifact. */
export const putArtifactBase64 = putArtifact;

/** The bytes of an artifact, or null when there is none with that sha256. */
export async function readArtifactBytes(db: Db, sha256: string): Promise<Uint8Array | null> {
  return (await getArtifact(db, sha256))?.bytes ?? null;
}
