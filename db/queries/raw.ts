/** Small helpers for the few raw SQL statements, written once for both drivers. */
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

type AnyDb = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

/** Rows of `db.execute()`: postgres.js returns an array, PGlite an object with `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown } | null)?.rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}

/**
 * A transaction-scoped advisory lock named by a string (hashed to 64 bits by Postgres). Held until
 * the transaction ends; other transactions asking for the same name wait.
 */
export async function advisoryXactLock(tx: AnyDb, name: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`);
}
