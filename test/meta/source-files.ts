/** The project's own source files, for the meta tests. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const TOP_FOLDERS = ['core', 'models', 'server', 'agents', 'trainer', 'db', 'dashboards', 'cli', 'bench', 'test'] as const;
const SKIP_DIRS = new Set(['node_modules', 'migrations', 'dist', 'fixtures', 'test-output']);

export function sourceFiles(extensions = ['.ts', '.tsx', '.js', '.mjs']): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        if (!SKIP_DIRS.has(entry)) walk(path);
      } else if (extensions.some((ext) => entry.endsWith(ext)) && !entry.endsWith('.d.ts')) {
        out.push(relative(ROOT, path));
      }
    }
  };
  for (const top of TOP_FOLDERS) {
    try {
      walk(join(ROOT, top));
    } catch {
      // a folder that does not exist yet has no files to check
    }
  }
  return out.sort();
}

export function readSource(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}
