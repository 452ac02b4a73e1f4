import { build } from 'esbuild';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the runtime runs in a page', () => {
  it('bundles for the browser without Node built-ins (agent session, timing loop, web platform)', async () => {
    const result = await build({
      stdin: {
        contents: `export * from './agents/runtime/agent'; export * from './agents/runtime/timing'; export * from './agents/runtime/web-platform'; export * from './agents/runtime/job-runner';`,
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0].text).toContain('agent.welcome');
  });
});
