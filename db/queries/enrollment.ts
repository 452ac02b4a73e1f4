/**
 * Enrollment tokens: a secret that may only register devices (an agent on a new box presents it
 * once and receives its own device token). Expiry, a use limit and revocation bound it.
 */
import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { AuthError, NotFoundError, ValidationError } from '../../core/errors';
import type { Db } from '../client';
import { enrollmentTokens, type DeviceRow, type EnrollmentTokenRow } from '../schema/devices';
import { registerDevice, type NewDevice } from './devices';
import { nowSql } from './time';

export interface NewEnrollmentToken {
  /** sha256 hex of the token (db/secrets.ts hashToken). */
  tokenHash: string;
  label?: string;
  maxUses?: number | null;
  expiresAt?: Date | null;
}

export async function createEnrollmentToken(db: Db, input: NewEnrollmentToken): Promise<EnrollmentTokenRow> {
  if (!/^[0-9a-f]{64}$/.test(input.tokenHash)) throw new ValidationError('enrollment token hash must be 64 lowercase hex digits (sha256)');
  if (input.maxUses != null && (!Number.isInteger(input.maxUses) || input.maxUses < 1)) {
    throw new ValidationError(`enrollment token max uses must be a positive integer, got ${input.maxUses}`);
  }
  if (input.expiresAt != null && Number.isNaN(input.expiresAt.getTime())) throw new ValidationError('enrollment token expiry is not a valid time');
  const [row] = await db
    .insert(enrollmentTokens)
    .values({ tokenHash: input.tokenHash, label: input.label ?? '', maxUses: input.maxUses ?? null, expiresAt: input.expiresAt ?? null })
    .returning();
  return row;
}

/**
 * Uses one registration of a token if it is valid (not revoked, not expired, uses left), in one
 * atomic statement; returns the token after use, or null when it may not be used.
 */
export async function redeemEnrollmentToken(db: Db, tokenHash: string, now?: Date): Promise<EnrollmentTokenRow | null> {
  const at = nowSql(now);
  const [row] = await db
    .update(enrollmentTokens)
    .set({ uses: sql`${enrollmentTokens.uses} + 1` })
    .where(
      and(
        eq(enrollmentTokens.tokenHash, tokenHash),
        isNull(enrollmentTokens.revokedAt),
        or(isNull(enrollmentTokens.expiresAt), gt(enrollmentTokens.expiresAt, at)),
        or(isNull(enrollmentTokens.maxUses), lt(enrollmentTokens.uses, enrollmentTokens.maxUses)),
      ),
    )
    .returning();
  return row ?? null;
}

/**
 * Registers a device with an enrollment token, both or neither: a device that cannot be
 * registered (name taken, bad input) does not use up the token.
 */
export async function registerDeviceWithEnrollment(
  db: Db,
  enrollmentTokenHash: string,
  device: Omit<NewDevice, 'enrolledWith'>,
  now?: Date,
): Promise<DeviceRow> {
  return db.transaction(async (tx) => {
    const token = await redeemEnrollmentToken(tx, enrollmentTokenHash, now);
    if (!token) throw new AuthError('enrollment token is not valid (unknown, expired, revoked or used up)');
    return registerDevice(tx, { ...device, enrolledWith: token.id });
  });
}

export async function revokeEnrollmentToken(db: Db, id: string, now?: Date): Promise<EnrollmentTokenRow> {
  const [row] = await db
    .update(enrollmentTokens)
    .set({ revokedAt: sql`coalesce(${enrollmentTokens.revokedAt}, ${nowSql(now)})` })
    .where(eq(enrollmentTokens.id, id))
    .returning();
  if (!row) throw new NotFoundError(`no enrollment token ${id}`);
  return row;
}

export async function listEnrollmentTokens(db: Db): Promise<EnrollmentTokenRow[]> {
  return db.select().from(enrollmentTokens).orderBy(asc(enrollmentTokens.createdAt)).limit(10_000);
}
