/**
 * Device and enrollment tokens: 32 random bytes, shown once, stored only as their sha256. Looking
 * a token up by its hash leaks nothing useful through timing: the hash of a high-entropy secret
 * cannot be steered byte by byte.
 */
import { createHash, randomBytes } from 'node:crypto';

export type TokenKind = 'device' | 'enroll';
const PREFIX: Record<TokenKind, string> = { device: 'ofad_', enroll: 'ofae_' };

/** A fresh random token, e.g. "ofad_3q2...": the prefix tells a reader what kind it is. */
export function generateToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

/** sha256 hex of a token: what the database stores and looks up. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
