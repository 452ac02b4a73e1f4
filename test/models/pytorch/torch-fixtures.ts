/**
 * Fixtures made at test time by real PyTorch (test/fixtures/pytorch/make-fixtures.py, run with
 * Debian's /usr/bin/python3 + python3-torch): full-size supernets are ~31-43 MB, too big to
 * commit. Each set is cached under the OS temp dir by a hash of the script and its arguments.
 * Without torch the suites are skipped with a visible message, except in CI (CI=true), where
 * they fail: CI must install python3-torch.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';

export const TORCH_PYTHON = '/usr/bin/python3';
export const FIXTURES_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'pytorch');
export const FIXTURE_SCRIPT = join(FIXTURES_DIR, 'make-fixtures.py');

let available: boolean | undefined;

export function torchAvailable(): boolean {
  available ??= spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { timeout: 60_000, stdio: 'ignore' }).status === 0;
  return available;
}

/** `describe` that needs PyTorch: skipped with a message locally, failing in CI when torch is missing. */
export function describeWithTorch(name: string, body: () => void): void {
  if (torchAvailable()) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs PyTorch', () => {
        throw new Error(`${TORCH_PYTHON} cannot import torch: CI must install the Debian package python3-torch`);
      });
    });
  } else {
    process.stderr.write(`\n[skipped] ${name}: ${TORCH_PYTHON} has no torch (apt-get install python3-torch to run it)\n`);
    describe.skip(name, body);
  }
}

/** Runs make-fixtures.py `<command> <dir> ...args` once per distinct arguments; returns the directory. */
export async function torchFixture(command: string, args: string[] = []): Promise<string> {
  const key = createHash('sha256').update(readFileSync(FIXTURE_SCRIPT)).update(JSON.stringify([command, ...args])).digest('hex').slice(0, 16);
  const root = join(tmpdir(), 'ofa-farm-torch-fixtures');
  const dir = join(root, `${command}-${key}`);
  if (existsSync(dir)) return dir;
  mkdirSync(root, { recursive: true });
  const scratch = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await promisify(execFile)(TORCH_PYTHON, [FIXTURE_SCRIPT, command, scratch, ...args], { timeout: 300_000, maxBuffer: 16 << 20 });
  try {
    renameSync(scratch, dir);
  } catch (error) {
    // Another test worker made the same set first: use theirs.
    rmSync(scratch, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
  return dir;
}

export interface ReferenceCase {
  config: { ks: number[]; e: number[]; d: number[]; r: number };
  input: string;
  logits: number[];
}

export interface ReferenceSet {
  space: string;
  /** The PyTorch modules' state_dict names and shapes (num_batches_tracked left out). */
  tensors: [string, number[]][];
  cases: ReferenceCase[];
}

export function readReference(dir: string): ReferenceSet {
  return JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as ReferenceSet;
}

export function readInput(dir: string, c: ReferenceCase): Float32Array {
  const bytes = readFileSync(join(dir, c.input));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** max |a - b| / max |b|: relative to the logits' scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}
