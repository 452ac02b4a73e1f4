/**
 * Real ONNX models for agent tests, made by the farm's own exporter: the smallest
 * ofa-mbv3-mini subnet (input [1, 1, 16, 16], ~0.6 MB), and broken variants of it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalModel } from '../../agents/runtime/backend';
import { minConfig } from '../../core/config';
import { SPACES } from '../../core/space';
import { exportSubnet } from '../../models/export';
import { randomSupernetWeights } from '../../models/random-weights';
import { afterAll } from 'vitest';

export interface TestModel {
  bytes: Uint8Array;
  sha256: string;
  inputShape: number[];
}

let tiny: TestModel | null = null;

export function tinyModel(): TestModel {
  if (!tiny) {
    const space = SPACES['ofa-mbv3-mini'];
    const exported = exportSubnet({ space, config: minConfig(space), weights: randomSupernetWeights(space, 0) });
    tiny = { bytes: exported.bytes, sha256: exported.sha256, inputShape: exported.inputShape };
  }
  return tiny;
}

/** The tiny model cut in half: not a loadable ONNX file. */
export function truncatedModel(): Uint8Array {
  const bytes = tinyModel().bytes;
  return bytes.slice(0, Math.floor(bytes.byteLength / 2));
}

/** Bytes that are not protobuf at all. */
export function garbageModel(): Uint8Array {
  return new TextEncoder().encode('this is not an ONNX model\n'.repeat(40));
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const made: string[] = [];
// Registered on the importing test file's root suite: its temp dirs go when the file is done.
afterAll(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Writes bytes to a temp file and describes them as the runtime's model cache would. */
export function localModel(bytes: Uint8Array): LocalModel {
  const dir = mkdtempSync(join(tmpdir(), 'ofa-farm-model-'));
  made.push(dir);
  const sha256 = sha256Hex(bytes);
  const path = join(dir, `${sha256}.onnx`);
  writeFileSync(path, bytes);
  return { sha256, bytes: bytes.byteLength, path, read: async () => bytes };
}
