import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../db/migrate';

const run = promisify(execFile);

it('the committed migrations match db/schema (run `npm run db:generate` after changing it)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'ofa-migrations-'));
  try {
    cpSync(MIGRATIONS_FOLDER, out, { recursive: true });
    const before = readdirSync(out).sort();
    const kit = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'drizzle-kit');
    const root = join(import.meta.dirname, '..', '..');
    // drizzle-kit wants the output folder relative to its working directory.
    const { stdout, stderr } = await run(kit, ['generate', '--dialect', 'postgresql', '--schema', './db/schema/index.ts', '--out', relative(root, out)], {
      cwd: root,
      timeout: 60_000,
    });
    expect(readdirSync(out).sort()).toEqual(before);
    expect(stdout + stderr).toMatch(/No schema changes/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
