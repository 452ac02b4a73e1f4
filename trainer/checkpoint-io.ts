/**
 * Supernet checkpoints through models/checkpoint.ts (the farm's one `.ofa` format, PyTorch names
 * and layouts), so `ofa-farm subnet export --checkpoint` and the PyTorch importer read what the
 * trainer writes.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkpointWeights, readCheckpoint, writeCheckpoint, type Checkpoint } from '../models/checkpoint';
import { SupernetParams } from './supernet/params';

export async function saveSupernet(path: string, params: SupernetParams, phase: string, meta: Record<string, unknown>, tensors = params.toTensors()): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  return writeCheckpoint(path, { space: params.space.name, phase, meta, tensors });
}

export async function loadSupernet(path: string, trainable = true): Promise<{ params: SupernetParams; checkpoint: Checkpoint }> {
  const checkpoint = await readCheckpoint(path);
  const params = SupernetParams.fromWeights(checkpointWeights(checkpoint, `${path}`), trainable);
  return { params, checkpoint };
}
