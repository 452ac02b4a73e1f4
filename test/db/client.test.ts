import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError, FarmError, ValidationError } from '../../core/errors';
import { openDb, pgliteDir, redactUrl, resolveDbTarget } from '../../db/client';
import { getDeviceByName } from '../../db/queries/devices';
import { rowsOf } from '../../db/queries/raw';
import { describeEachDb, TEST_PG_URL } from '../helpers/databases';
import { seedDevice } from '../helpers/db-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'ofa-db-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openDb targets', () => {
  it('resolves --db/DATABASE_URL to postgres, else PGlite under the farm home', () => {
    expect(resolveDbTarget({ url: 'postgres://u@h/db', farmHome: '/x' })).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(resolveDbTarget({ farmHome: '/x/.ofa-farm' })).toEqual({ kind: 'pglite', dataDir: '/x/.ofa-farm/pglite' });
    expect(pgliteDir('/h')).toBe('/h/pglite');
    expect(redactUrl('postgres://me:s3cret@db:5432/farm')).toBe('postgres://me@db:5432/farm');
  });

  it('rejects a URL that is not postgres:// with a clear error', async () => {
    await expect(openDb({ kind: 'postgres', url: 'mysql://x@y/z' })).rejects.toThrow(ValidationError);
    await expect(openDb({ kind: 'postgres', url: 'not a url' })).rejects.toThrow(/not a valid URL/);
  });

  it('says which database it could not reach', async () => {
    const error = await openDb({ kind: 'postgres', url: 'postgres://postgres:pw@127.0.0.1:1/nowhere' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FarmError);
    expect((error as Error).message).toMatch(/^database at postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere: /);
    expect((error as Error).message).not.toContain('pw');
  });

  it('keeps PGlite data in its directory, one process at a time (stale locks taken over)', async () => {
    const dataDir = join(dir, 'farm', 'pglite');
    const first = await openDb({ kind: 'pglite', dataDir });
    expect(first.kind).toBe('pglite');
    await seedDevice(first.db, { name: 'kept' });
    await expect(openDb({ kind: 'pglite', dataDir })).rejects.toThrow(ConflictError);
    await first.close();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
    // A lock left by a process that is gone is taken over.
    writeFileSync(`${dataDir}.lock`, '999999999');
    const second = await openDb({ kind: 'pglite', dataDir });
    expect((await getDeviceByName(second.db, 'kept'))?.name).toBe('kept');
    expect((await second.migrate()).applied).toEqual([]);
    await second.close();
  });
});

describeEachDb('migrations', (getDb) => {
  it('applies the committed migrations once and is a no-op afterwards', async () => {
    const { handle } = getDb();
    const again = await handle.migrate();
    expect(again.applied).toEqual([]);
    expect(again.total).toBeGreaterThanOrEqual(1);
    const rows = rowsOf<{ n: number | string }>(await handle.db.execute(sql`select count(*) as n from drizzle.__drizzle_migrations`));
    expect(Number(rows[0].n)).toBe(again.total);
  });

  it('two coordinators migrating a fresh database at once both succeed, applying each migration once', async () => {
    if (getDb().kind !== 'postgres') return; // PGlite is one process by construction (see the lock test)
    const name = `ofa_test_${Date.now().toString(36)}_mig`;
    const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    try {
      const url = new URL(TEST_PG_URL);
      url.pathname = `/${name}`;
      const handles = await Promise.all([0, 1, 2].map(() => openDb({ kind: 'postgres', url: url.toString(), max: 2 }, { migrate: false })));
      const results = await Promise.all(handles.map((h) => h.migrate()));
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, results[0].total]);
      const rows = rowsOf<{ n: number | string }>(await handles[0].db.execute(sql`select count(*) as n from drizzle.__drizzle_migrations`));
      expect(Number(rows[0].n)).toBe(results[0].total);
      await Promise.all(handles.map((h) => h.close()));
    } finally {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});
