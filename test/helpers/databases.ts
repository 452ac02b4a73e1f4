/**
 * Run one test suite on both databases: PGlite in memory, and a fresh database on the
 * PostgreSQL server (created per suite, dropped afterwards).
 *
 *   describeEachDb('jobs', (getDb) => {
 *     it('leases', async () => {
 *       const { db } = getDb();            // typed drizzle handle, migrated
 *       ...
 *     });
 *   });
 *
 * - Postgres URL of a database used to create/drop test databases: OFA_FARM_TEST_PG_URL
 *   (default postgres://postgres@127.0.0.1:5432/test).
 * - OFA_FARM_TEST_DB=pglite|postgres|both (default both) restricts the run.
 * - Postgres unreachable: with CI=true the suite fails loudly; otherwise its Postgres half is
 *   skipped with a visible message.
 * - `getDb()` gives { db, handle, kind, url, openAnother(), reset() }: `openAnother()` opens a
 *   second pool on the same database (a second coordinator; for PGlite the same instance),
 *   `reset()` empties every farm table.
 */
import { getTableName, isTable, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openDb, redactUrl, type Db, type DbHandle, type DbKind } from '../../db/client';
import * as schema from '../../db/schema/index';

export const TEST_PG_URL = process.env.OFA_FARM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WHICH = (process.env.OFA_FARM_TEST_DB ?? 'both').toLowerCase();
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const STALE_MS = 6 * 3600 * 1000;

export interface TestDb {
  db: Db;
  handle: DbHandle;
  kind: DbKind;
  /** URL of the test database (Postgres only). */
  url: string | null;
  /** Another handle on the same database (a separate pool for Postgres; the same PGlite). Closed after the suite. */
  openAnother(): Promise<DbHandle>;
  /** Deletes every row of every farm table (ids restart). */
  reset(): Promise<void>;
}

async function postgresProblem(): Promise<string | null> {
  const client = postgres(TEST_PG_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await client`select 1`;
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end({ timeout: 1 }).catch(() => {});
  }
}

const pgProblem = WHICH === 'pglite' ? null : await postgresProblem();

function databaseUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

const FARM_TABLES = Object.values(schema)
  .filter((value) => isTable(value))
  .map((table) => `"${getTableName(table as Parameters<typeof getTableName>[0])}"`);

/**
 * Empties every farm table. A write the previous test's coordinator still had in flight when it
 * stopped (a disconnecting agent's lease release) can deadlock with the truncate; PostgreSQL
 * cancels one side, and the truncate is simply tried again.
 */
async function resetDb(db: Db): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.execute(sql.raw(`truncate ${FARM_TABLES.join(', ')} restart identity cascade`));
      return;
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
      if (code !== '40P01' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

async function dropStale(admin: postgres.Sql): Promise<void> {
  const rows = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'ofa_test_%'`;
  for (const { datname } of rows) {
    const born = Number.parseInt(datname.split('_')[2] ?? '', 36);
    if (Number.isFinite(born) && Date.now() - born > STALE_MS) await admin.unsafe(`drop database if exists "${datname}" with (force)`).catch(() => {});
  }
}

function suite(name: string, kind: DbKind, fn: (getDb: () => TestDb) => void): void {
  describe(`${name} [${kind}]`, () => {
    let current: TestDb | null = null;
    const extra: DbHandle[] = [];
    let dbName: string | null = null;

    beforeAll(async () => {
      if (kind === 'pglite') {
        const handle = await openDb({ kind: 'memory' });
        const shared: DbHandle = { ...handle, close: async () => {} };
        current = { db: handle.db, handle, kind, url: null, openAnother: async () => shared, reset: () => resetDb(handle.db) };
        return;
      }
      dbName = `ofa_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = postgres(TEST_PG_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
      try {
        await dropStale(admin);
        await admin.unsafe(`create database "${dbName}"`);
      } finally {
        await admin.end({ timeout: 2 });
      }
      const url = databaseUrl(TEST_PG_URL, dbName);
      const handle = await openDb({ kind: 'postgres', url });
      current = {
        db: handle.db,
        handle,
        kind,
        url,
        openAnother: async () => {
          const other = await openDb({ kind: 'postgres', url }, { migrate: false });
          extra.push(other);
          return other;
        },
        reset: () => resetDb(handle.db),
      };
    });

    afterAll(async () => {
      for (const other of extra) await other.close().catch(() => {});
      await current?.handle.close();
      current = null;
      if (dbName) {
        const admin = postgres(TEST_PG_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
        try {
          await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
        } finally {
          await admin.end({ timeout: 2 });
        }
      }
    });

    fn(() => {
      if (!current) throw new Error(`the ${kind} test database is not open (use getDb() inside tests or hooks)`);
      return current;
    });
  });
}

/** Declares the suite once per database; see the file comment. */
export function describeEachDb(name: string, fn: (getDb: () => TestDb) => void): void {
  if (WHICH !== 'postgres') suite(name, 'pglite', fn);
  if (WHICH === 'pglite') return;
  if (pgProblem === null) {
    suite(name, 'postgres', fn);
  } else if (IN_CI) {
    describe(`${name} [postgres]`, () => {
      it('needs PostgreSQL', () => {
        throw new Error(`PostgreSQL at ${redactUrl(TEST_PG_URL)} is unreachable in CI: ${pgProblem}`);
      });
    });
  } else {
    console.warn(`[databases] skipping the PostgreSQL half of "${name}": ${redactUrl(TEST_PG_URL)} is unreachable (${pgProblem})`);
    describe.skip(`${name} [postgres] (skipped: PostgreSQL unreachable)`, () => fn(() => {
      throw new Error('PostgreSQL unreachable');
    }));
  }
}
