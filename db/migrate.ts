/**
 * Applies the committed drizzle-kit migrations (db/migrations). Several coordinators may start at
 * once against one PostgreSQL: everything runs in one transaction that first takes an advisory
 * lock, so the second waits, then sees the migrations already applied and does nothing. The
 * bookkeeping table is drizzle's own (drizzle.__drizzle_migrations), so drizzle-kit agrees.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles, type MigrationMeta } from 'drizzle-orm/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { advisoryXactLock, rowsOf } from './queries/raw';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));
const MIGRATION_LOCK = 'ofa-farm:migrate';

export interface MigrateResult {
  /** Tags of the migrations this call applied (e.g. "0000_init"), oldest first. */
  applied: string[];
  /** How many migrations the database has now. */
  total: number;
}

/** Migration tags in journal order (readMigrationFiles keeps that order). */
function readTags(): string[] {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: Array<{ tag: string }> };
  return journal.entries.map((e) => e.tag);
}

export async function migrateDb(db: PgDatabase<PgQueryResultHKT, Record<string, unknown>>): Promise<MigrateResult> {
  const migrations: MigrationMeta[] = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const tags = readTags();
  return db.transaction(async (tx) => {
    await advisoryXactLock(tx, MIGRATION_LOCK);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(
      sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
    );
    const last = rowsOf<{ created_at: string | number | null }>(
      await tx.execute(sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`),
    )[0];
    const lastMillis = last?.created_at == null ? -1 : Number(last.created_at);
    const applied: string[] = [];
    for (const [i, migration] of migrations.entries()) {
      if (migration.folderMillis <= lastMillis) continue;
      for (const statement of migration.sql) {
        if (statement.trim()) await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
      );
      applied.push(tags[i] ?? String(i));
    }
    const count = rowsOf<{ n: string | number }>(await tx.execute(sql`select count(*) as n from drizzle.__drizzle_migrations`))[0];
    return { applied, total: Number(count?.n ?? 0) };
  });
}
