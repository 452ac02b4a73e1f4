/** Column helpers shared by the schema files. */
import { sql, type SQL } from 'drizzle-orm';
import { customType, timestamp, type AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * `bytea` as a Uint8Array. PGlite returns Uint8Array and postgres.js returns Buffer (a Uint8Array
 * subclass); both accept either on insert.
 */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
  fromDriver: (value) => (Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value),
});

/** Every timestamp is `timestamp with time zone`, read as a Date. */
export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** `created_at timestamptz not null default now()`. */
export const createdAt = () => tstz('created_at').notNull().defaultNow();

/** `column in ('a', 'b')` for a check constraint, from the one declared list of choices. */
export function oneOf(column: AnyPgColumn, choices: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(choices.map((c) => `'${c.replace(/'/g, "''")}'`).join(', '))})`;
}
