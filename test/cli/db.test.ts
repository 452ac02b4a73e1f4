import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliDbTarget, resolveFarmHome } from '../../cli/farm-home';
import { spawnCli } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'ofa-cli-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { DATABASE_URL: '', OFA_FARM_HOME: '' };

describe('farm home and database resolution', () => {
  it('uses --db, then DATABASE_URL, then PGlite in OFA_FARM_HOME or ./.ofa-farm', () => {
    expect(resolveFarmHome({}, '/w')).toBe('/w/.ofa-farm');
    expect(resolveFarmHome({ OFA_FARM_HOME: 'farm' }, '/w')).toBe('/w/farm');
    expect(cliDbTarget({}, {}, '/w')).toEqual({ kind: 'pglite', dataDir: '/w/.ofa-farm/pglite' });
    expect(cliDbTarget({}, { DATABASE_URL: 'postgres://a@b/c' }, '/w')).toEqual({ kind: 'postgres', url: 'postgres://a@b/c' });
    expect(cliDbTarget({ db: 'postgres://x@y/z' }, { DATABASE_URL: 'postgres://a@b/c' }, '/w')).toEqual({ kind: 'postgres', url: 'postgres://x@y/z' });
  });
});

describe('ofa-farm db migrate', () => {
  it('creates the PGlite database under ./.ofa-farm, then reports it up to date', async () => {
    const first = await spawnCli(['db', 'migrate'], { cwd: dir, env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^PGlite database at ${join(dir, '.ofa-farm', 'pglite')}: applied 1 migration \\(0000_init\\); \\d+ migrations? in total\\n$`));
    const again = await spawnCli(['db', 'migrate', '--json'], { cwd: dir, env });
    expect(again.code).toBe(0);
    const line = JSON.parse(again.stdout.trim());
    expect(line).toMatchObject({ db: 'pglite', location: join(dir, '.ofa-farm', 'pglite'), applied: [] });
    expect(line.total).toBeGreaterThanOrEqual(1);
  });

  it('exits 2 with one line for a bad --db URL', async () => {
    const run = await spawnCli(['db', 'migrate', '--db', 'mysql://x@y/z'], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ofa-farm: database URL must start with postgres:\/\/ or postgresql:\/\/, got "mysql:\/\/\.\.\."\n$/);
  });
});
