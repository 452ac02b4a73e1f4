/**
 * Where this farm keeps its state, and which database the CLI uses. Read once by commands (the
 * CLI is an entry point, so it may read the environment; the parts below it never do).
 * - farm home: $OFA_FARM_HOME, else ./.ofa-farm of the current directory;
 * - database: --db URL, else $DATABASE_URL, else PGlite in <farm home>/pglite.
 */
import { resolve } from 'node:path';
import { resolveDbTarget, type DbTarget } from '../db/client';

export function resolveFarmHome(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const fromEnv = env.OFA_FARM_HOME?.trim();
  return fromEnv ? resolve(cwd, fromEnv) : resolve(cwd, '.ofa-farm');
}

export function cliDbTarget(opts: { db?: string }, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): DbTarget {
  const url = opts.db?.trim() || env.DATABASE_URL?.trim() || null;
  return resolveDbTarget({ url, farmHome: resolveFarmHome(env, cwd) });
}
