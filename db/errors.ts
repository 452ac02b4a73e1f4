/**
 * Turns database constraint violations into the farm's typed errors, so bad input surfaces as a
 * clear ValidationError / ConflictError (HTTP 400 / 409, CLI exit 2) rather than a driver error.
 * drizzle wraps driver errors (DrizzleQueryError.cause); both drivers expose the SQLSTATE `code`.
 */
import { ConflictError, ValidationError } from '../core/errors';

interface PgErrorLike {
  code?: string;
  message?: string;
  detail?: string;
  constraint?: string;
  constraint_name?: string;
}

/** The underlying Postgres error of a (possibly wrapped) error, if any. */
export function pgError(error: unknown): PgErrorLike | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const e = current as PgErrorLike & { cause?: unknown };
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e;
    current = e.cause;
  }
  return null;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = pgError(error);
  return e?.code === '23505' && (constraint === undefined || (e.constraint ?? e.constraint_name) === constraint);
}

/**
 * Maps integrity errors (class 23) and bad values (class 22) to typed errors naming what was
 * wrong; anything else is returned unchanged. `what` says what was being stored ("sweep", "device").
 */
export function mapDbError(error: unknown, what: string): unknown {
  const e = pgError(error);
  if (!e?.code) return error;
  const constraint = e.constraint ?? e.constraint_name;
  const detail = e.detail ? ` (${e.detail})` : constraint ? ` (${constraint})` : '';
  switch (e.code) {
    case '23505':
      return new ConflictError(`${what} already exists${detail}`);
    case '23503':
      return new ValidationError(`${what} refers to something that does not exist${detail}`);
    case '23514':
      return new ValidationError(`${what} is invalid: violates ${constraint ?? 'a check constraint'}`);
    case '23502':
      return new ValidationError(`${what} is missing a required value: ${e.message ?? ''}`.trim());
    default:
      if (e.code.startsWith('22')) return new ValidationError(`${what} has an invalid value: ${e.message ?? e.code}`);
      return error;
  }
}

/** Runs `fn`, rethrowing database errors as typed farm errors. */
export async function withDbErrors<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapDbError(error, what);
  }
}
