/**
 * `npm run bench [-- name-filter]`: runs every bench/*.bench.ts in one process, one after the
 * other, so ratios printed by a benchmark are measured side by side under the same conditions.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchContext {
  /** Prints one result line under the benchmark's heading. */
  print(line: string): void;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<void>;
}

async function runAll(filter: string | undefined): Promise<number> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !filter || f.includes(filter))
    .sort();
  let failures = 0;
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: Benchmark };
    const bench = mod.default;
    process.stdout.write(`\n== ${bench.name} (${file})\n`);
    const started = performance.now();
    try {
      await bench.run({ print: (line) => process.stdout.write(`  ${line}\n`) });
      process.stdout.write(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    } catch (error) {
      failures++;
      process.stdout.write(`  FAILED: ${error instanceof Error ? error.stack : String(error)}\n`);
    }
  }
  return failures;
}

const failures = await runAll(process.argv[2]);
process.exit(failures > 0 ? 1 : 0);
