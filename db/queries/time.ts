/** "Now" for queries: the caller's clock when given (tests, replays), else the database's. */
import { sql, type SQL } from 'drizzle-orm';

export function nowSql(now?: Date): SQL {
  if (now === undefined) return sql`now()`;
  if (Number.isNaN(now.getTime())) throw new RangeError('now must be a valid Date');
  return sql`${now.toISOString()}::timestamptz`;
}

/** `base + ms milliseconds` as SQL. */
export function plusMs(base: SQL, ms: number): SQL {
  return sql`(${base} + ${Math.round(ms)}::double precision * interval '1 millisecond')`;
}
