/**
 * The `blocks` sweep strategy: a device measures the parts of a space one by one (stem, every
 * distinct block, head) as single-part ONNX models, so it gets its own lookup table
 * (OFA-REFERENCE §7.1). The scheduler stores the part rows (`blocksPartRows`) and creates one job
 * per part; the artifact store builds a part's model on first dispatch (`buildPartArtifact`), as
 * it does for subnets.
 */
import { buildArch } from '../../core/arch';
import { minConfig } from '../../core/config';
import { blockCost, headCost, stemCost, type SubnetCost } from '../../core/cost';
import { ValidationError } from '../../core/errors';
import type { SpaceDef } from '../../core/space';
import type { Db } from '../../db/client';
import { putArtifactBase64 } from '../../db/queries/artifact-blobs';
import { findArtifactFor } from '../../db/queries/artifacts';
import type { NewPartRow, PartRow } from '../../db/schema/subnets';
import { exportPart, type ExportPart } from '../../models/export';
import type { SupernetWeights } from '../../models/supernet-tensors';
import { partKey, spacePartsAt } from './parts';

/** Resolutions a blocks sweep measures when none are given: the whole grid (exact tables, no interpolation). */
export function blocksResolutions(space: SpaceDef, asked?: readonly number[]): number[] {
  if (!asked || asked.length === 0) return [...space.resolutions];
  const bad = asked.filter((r) => !space.resolutions.includes(r));
  if (bad.length > 0) throw new ValidationError(`resolutions ${bad.join(', ')} are not on the grid of ${space.name}`);
  return [...new Set(asked)].sort((a, b) => a - b);
}

function partCost(space: SpaceDef, part: ExportPart): SubnetCost {
  if (part.kind === 'stem') return stemCost(buildArch(space, minConfig(space, part.resolution)).stem);
  if (part.kind === 'block') return blockCost(part.block);
  const arch = buildArch(space, minConfig(space));
  return headCost({ ...arch, head: { ...arch.head, finalExpand: { ...arch.head.finalExpand, f: part.featureSize } } });
}

/** Rows of the `parts` table for a blocks sweep; `r` is the smallest resolution using the part. */
export function blocksPartRows(space: SpaceDef, resolutions?: readonly number[]): NewPartRow[] {
  return spacePartsAt(space, blocksResolutions(space, resolutions)).map(({ part, r }) => {
    const cost = partCost(space, part);
    return { key: partKey(part), space: space.name, kind: part.kind, spec: part as unknown as Record<string, unknown>, r, macs: Math.round(cost.macs), params: Math.round(cost.params) };
  });
}

/** The part a stored row describes; its key must match its spec. */
export function partOfRow(row: Pick<PartRow, 'key' | 'spec'>): ExportPart {
  const part = row.spec as unknown as ExportPart;
  const ok = part && (part.kind === 'stem' || part.kind === 'block' || part.kind === 'head');
  if (!ok || partKey(part) !== row.key) throw new ValidationError(`part row ${row.key} has a spec that does not describe it`);
  return part;
}

export interface BuiltPart {
  sha256: string;
  bytes: number;
  inputShape: number[];
}

/** Exports a part with the given weights and stores the model once by sha256. */
export async function buildPartArtifact(db: Db, space: SpaceDef, row: Pick<PartRow, 'key' | 'spec'>, weights: SupernetWeights, weightsKey: string): Promise<BuiltPart & { model: Uint8Array | null }> {
  const part = partOfRow(row);
  const existing = await findArtifactFor(db, { partKey: row.key, weights: weightsKey });
  const exported = existing ? null : exportPart({ space, part, weights });
  const inputShape = exported?.inputShape ?? partInputShape(space, part);
  if (existing) return { sha256: existing.sha256, bytes: existing.size, inputShape, model: null };
  const { artifact } = await putArtifactBase64(db, { bytes: exported!.bytes, kind: 'part', space: space.name, partKey: row.key, weights: weightsKey });
  return { sha256: artifact.sha256, bytes: artifact.size, inputShape, model: exported!.bytes };
}

/** [1, C, f, f] input of a part. */
export function partInputShape(space: SpaceDef, part: ExportPart): number[] {
  if (part.kind === 'stem') return [1, space.inputChannels, part.resolution, part.resolution];
  if (part.kind === 'block') return [1, part.block.cin, part.block.fin, part.block.fin];
  return [1, space.stages[space.stages.length - 1].width, part.featureSize, part.featureSize];
}
