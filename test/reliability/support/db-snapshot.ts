/**
 * A comparable picture of everything the farm stores: every row of every farm table, sorted, with
 * binary columns replaced by their sha256. Liveness columns that heartbeats move on their own
 * (a device's last-seen time and online/busy status, a held lease's deadline) are left out, so a
 * snapshot taken before a barrage of bad input equals the one taken after it exactly when
 * nothing else changed.
 */
import { createHash } from 'node:crypto';
import { getTableColumns, getTableName, isTable, type Table } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import * as schema from '../../../db/schema/index';

/** table name -> property names (drizzle's, camelCase) left out of the snapshot. */
const VOLATILE: Record<string, string[]> = {
  devices: ['lastSeenAt', 'status', 'statusSince'],
  jobs: ['leaseExpiresAt', 'updatedAt'],
};

const TABLES = (Object.values(schema) as unknown[]).filter((value): value is Table => isTable(value));

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `sha256:${createHash('sha256').update(value).digest('hex')}`;
  if (value instanceof Date) return value.toISOString();
  return value;
}

export type DbSnapshot = Record<string, string[]>;

export async function snapshotDb(db: Db): Promise<DbSnapshot> {
  const out: DbSnapshot = {};
  for (const table of TABLES) {
    const name = getTableName(table);
    const skip = new Set(VOLATILE[name] ?? []);
    const columns = Object.fromEntries(Object.entries(getTableColumns(table)).filter(([key]) => !skip.has(key)));
    const rows = (await db.select(columns).from(table as never)) as Record<string, unknown>[];
    out[name] = rows.map((row) => JSON.stringify(row, (_k, v) => plain(v))).sort();
  }
  return out;
}

/** Rows that differ between two snapshots, for a readable failure ("+" new, "-" gone). */
export function snapshotDiff(before: DbSnapshot, after: DbSnapshot): string[] {
  const lines: string[] = [];
  for (const name of Object.keys({ ...before, ...after })) {
    const a = new Set(before[name] ?? []);
    const b = new Set(after[name] ?? []);
    for (const row of a) if (!b.has(row)) lines.push(`${name} - ${row.slice(0, 1200)}`);
    for (const row of b) if (!a.has(row)) lines.push(`${name} + ${row.slice(0, 1200)}`);
  }
  return lines;
}
