/**
 * One way to open the farm database: PGlite on disk (the embedded default), PGlite in memory
 * (tests), or PostgreSQL through postgres.js. All three give the same typed drizzle handle, so
 * every query in db/queries is written once.
 *
 * PGlite is a single connection: its transactions serialize, which is correct (if slower) for
 * every query here. A PGlite directory may be open in one process at a time (a lock file says
 * which); several processes sharing a farm need PostgreSQL.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { FarmError, ValidationError, errorMessage } from '../core/errors';
import { migrateDb, type MigrateResult } from './migrate';
import { acquirePgliteLock } from './pglite-lock';
import * as schema from './schema/index';

export type Schema = typeof schema;
/** The drizzle handle every query takes; a transaction (`db.transaction(tx => ...)`) is one too. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type DbKind = 'pglite' | 'postgres';

export type DbTarget =
  /** PGlite stored in `dataDir` (created if missing). */
  | { kind: 'pglite'; dataDir: string }
  /** PGlite in memory: gone on close. */
  | { kind: 'memory' }
  /** PostgreSQL at a postgres:// URL. `max`: pool size (default 10). */
  | { kind: 'postgres'; url: string; max?: number };

export interface OpenDbOptions {
  /** Apply pending migrations before returning (default true). Safe with concurrent openers. */
  migrate?: boolean;
}

export interface DbHandle {
  db: Db;
  kind: DbKind;
  /** For messages: the PGlite directory, "memory", or the URL without its password. */
  location: string;
  /** Applies pending migrations (serialized across processes by an advisory lock). */
  migrate(): Promise<MigrateResult>;
  close(): Promise<void>;
}

/** Where the embedded database lives inside a farm home directory (e.g. `./.ofa-farm`). */
export function pgliteDir(farmHome: string): string {
  return resolve(farmHome, 'pglite');
}

/** `url` when given (from --db or DATABASE_URL, decided by the caller), else PGlite under the farm home. */
export function resolveDbTarget(opts: { url?: string | null; farmHome: string }): DbTarget {
  if (opts.url) return { kind: 'postgres', url: opts.url };
  return { kind: 'pglite', dataDir: pgliteDir(opts.farmHome) };
}

/** postgres://user:secret@host/db -> postgres://user@host/db, for printing. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString().replace(/^(\w+:\/\/[^@/]*):@/, '$1@');
  } catch {
    return '(invalid URL)';
  }
}

function checkPostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`database URL "${redactUrl(url)}" is not a valid URL; expected postgres://user@host:port/database`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ValidationError(`database URL must start with postgres:// or postgresql://, got "${parsed.protocol}//..."`);
  }
}

/** Errors reaching or migrating a database say which database (farm errors pass unchanged). */
async function withLocation<T>(location: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof FarmError) throw error;
    throw new FarmError(`database at ${location}: ${errorMessage(error)}`);
  }
}

export async function openDb(target: DbTarget, options: OpenDbOptions = {}): Promise<DbHandle> {
  const handle = target.kind === 'postgres' ? openPostgres(target.url, target.max ?? 10) : await openPglite(target);
  if (options.migrate ?? true) {
    try {
      await handle.migrate();
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }
  return handle;
}

function openPostgres(url: string, max: number): DbHandle {
  checkPostgresUrl(url);
  // Reconnect within 2 s once the server is back: the driver's default backoff grows with every
  // failed connect of the pool (3^n / 100 s, up to 20 s), so after an outage queries waited that long.
  const backoff = (failures: number) => Math.min(2, 0.05 * 2 ** failures) * (0.5 + Math.random() / 2);
  const client = postgres(url, { max, onnotice: () => {}, connect_timeout: 10, idle_timeout: 30, backoff });
  const db: Db = drizzlePostgres({ client, schema });
  let closed = false;
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url),
    migrate: () => withLocation(redactUrl(url), migrateDb(db)),
    close: async () => {
      if (closed) return;
      closed = true;
      await client.end({ timeout: 5 });
    },
  };
}

async function openPglite(target: { kind: 'pglite'; dataDir: string } | { kind: 'memory' }): Promise<DbHandle> {
  let release = async () => {};
  let client: PGlite;
  if (target.kind === 'pglite') {
    const dir = resolve(target.dataDir);
    mkdirSync(dir, { recursive: true });
    release = acquirePgliteLock(dir);
    try {
      client = await PGlite.create({ dataDir: dir });
    } catch (error) {
      await release();
      throw error;
    }
  } else {
    client = await PGlite.create();
  }
  const db: Db = drizzlePglite({ client, schema });
  let closed = false;
  return {
    db,
    kind: 'pglite',
    location: target.kind === 'pglite' ? resolve(target.dataDir) : 'memory',
    migrate: () => withLocation(target.kind === 'pglite' ? resolve(target.dataDir) : 'memory', migrateDb(db)),
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        await release();
      }
    },
  };
}
