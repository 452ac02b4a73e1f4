import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from './source-files';

/** Which top folders each folder may import (ARCHITECTURE.md, "Import rules"). */
const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  models: ['core', 'models'],
  db: ['core', 'db'],
  server: ['core', 'models', 'db', 'server'],
  agents: ['core', 'agents'],
  trainer: ['core', 'models', 'trainer'],
  dashboards: ['core', 'dashboards'],
};
/** dashboards may take types (and only types) from server. */
const TYPE_ONLY: Record<string, readonly string[]> = { dashboards: ['server'] };
/** core runs in browsers too: no node builtins, only these packages. */
const CORE_PACKAGES = ['zod', '@noble/hashes'];

interface ImportRef {
  specifier: string;
  typeOnly: boolean;
}

function importsOf(source: string): ImportRef[] {
  const refs: ImportRef[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(statement)) refs.push({ specifier: m[3], typeOnly: Boolean(m[2]) });
  for (const m of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) refs.push({ specifier: m[1], typeOnly: false });
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) refs.push({ specifier: m[1], typeOnly: false });
  return refs;
}

function topFolder(path: string): string {
  return normalize(path).split(/[\\/]/)[0];
}

describe('import direction', () => {
  it('follows the rules of ARCHITECTURE.md', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(['.ts', '.tsx'])) {
      const from = topFolder(file);
      const allowed = ALLOWED[from];
      if (!allowed) continue;
      for (const ref of importsOf(readSource(file))) {
        if (ref.specifier.startsWith('.')) {
          const target = topFolder(join(dirname(file), ref.specifier));
          const typeOk = ref.typeOnly && (TYPE_ONLY[from] ?? []).includes(target);
          if (!allowed.includes(target) && !typeOk) violations.push(`${file} imports ${ref.specifier} (${from} may not import ${target})`);
        } else if (from === 'core') {
          const pkg = ref.specifier.startsWith('@') ? ref.specifier.split('/').slice(0, 2).join('/') : ref.specifier.split('/')[0];
          if (!CORE_PACKAGES.includes(pkg)) violations.push(`${file} imports ${ref.specifier} (core allows only ${CORE_PACKAGES.join(', ')})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('recognises the import forms it checks', () => {
    const refs = importsOf(`import { a } from '../server/x';\nimport type { B } from "../server/y";\nexport * from './z';\nconst m = await import('../db/q');\nimport 'side-effect';`);
    expect(refs.map((r) => [r.specifier, r.typeOnly])).toEqual([
      ['../server/x', false],
      ['../server/y', true],
      ['./z', false],
      ['side-effect', false],
      ['../db/q', false],
    ]);
  });
});
