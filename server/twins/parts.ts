/**
 * The parts of a space that a `blocks` sweep measures alone (the reference's latency lookup
 * tables, OFA-REFERENCE §7.1): the stem at each resolution, every distinct block (input size ×
 * channels × mid channels × kernel × stride × skip × SE × activation) and the head (final expand,
 * pooling, feature mix, classifier) at each final feature size. A part is keyed by what changes
 * its latency, so parts shared by several resolutions are measured once.
 */
import { buildArch, midChannels, seChannels, type BlockSpec } from '../../core/arch';
import { minConfig, type SubnetConfig } from '../../core/config';
import type { SpaceDef } from '../../core/space';
import type { ExportPart } from '../../models/export';

/** Stable key of a part within its space, e.g. "block:f56-c24x24-m72-k5-s1-id-nose-relu". */
export function partKey(part: ExportPart): string {
  switch (part.kind) {
    case 'stem':
      return `stem:r${part.resolution}`;
    case 'head':
      return `head:f${part.featureSize}`;
    case 'block': {
      const b = part.block;
      return `block:f${b.fin}-c${b.cin}x${b.cout}-m${b.mid}-k${b.kernel}-s${b.stride}-${b.skip ? 'id' : 'noid'}-${b.se ? 'se' : 'nose'}-${b.act === 'h_swish' ? 'hs' : 'relu'}`;
    }
  }
}

/** The parts whose latencies sum to a subnet's (stem, every active block, head). */
export function subnetParts(space: SpaceDef, config: SubnetConfig): ExportPart[] {
  const arch = buildArch(space, config);
  return [
    { kind: 'stem', resolution: config.r },
    ...arch.blocks.map((block): ExportPart => ({ kind: 'block', block })),
    { kind: 'head', featureSize: arch.head.finalExpand.f },
  ];
}

export function subnetPartKeys(space: SpaceDef, config: SubnetConfig): string[] {
  return subnetParts(space, config).map(partKey);
}

/**
 * Every distinct part any subnet of the space uses at the given resolutions. Within a stage the
 * blocks after the first share one shape, so a stage contributes (first + rest) x kernels x
 * expands variants per input size.
 */
export function spaceParts(space: SpaceDef, resolutions: readonly number[] = space.resolutions): ExportPart[] {
  return spacePartsAt(space, resolutions).map((p) => p.part);
}

/** spaceParts with the smallest of the given resolutions at which each part occurs. */
export function spacePartsAt(space: SpaceDef, resolutions: readonly number[] = space.resolutions): { part: ExportPart; r: number }[] {
  const seen = new Map<string, { part: ExportPart; r: number }>();
  let r = 0;
  const add = (part: ExportPart) => {
    const key = partKey(part);
    if (!seen.has(key)) seen.set(key, { part, r });
  };
  for (r of [...resolutions].sort((a, b) => a - b)) {
    // The max-depth min subnet gives every block position's input size and channels at r.
    const skeleton = buildArch(space, { ...minConfig(space, r), d: space.stages.map(() => Math.max(...space.depthChoices)) });
    add({ kind: 'stem', resolution: r });
    add({ kind: 'head', featureSize: skeleton.head.finalExpand.f });
    for (const block of skeleton.blocks) {
      if (block.elasticIndex === null) {
        add({ kind: 'block', block });
        continue;
      }
      if (block.position > 1) continue;
      for (const kernel of space.kernelChoices) {
        for (const expand of space.expandChoices) {
          const mid = midChannels(block.cin, expand);
          const variant: BlockSpec = { ...block, kernel, expand, mid, seMid: block.se ? seChannels(mid) : 0 };
          add({ kind: 'block', block: variant });
        }
      }
    }
  }
  return [...seen.values()];
}
