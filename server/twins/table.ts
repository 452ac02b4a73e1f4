/**
 * A device's latency lookup table: measured milliseconds of single parts (stem, blocks, head),
 * keyed by server/twins/parts.ts. A subnet's table latency is the plain sum over its parts, as in
 * the reference's MBv3LatencyTable (OFA-REFERENCE §7.1). A part measured at some feature sizes but
 * not at the one asked is interpolated linearly in the feature-map area between its nearest
 * measured sizes (the reference's v1 interpolated accuracy across resolutions the same way).
 */
import type { SubnetConfig } from '../../core/config';
import { NotFoundError } from '../../core/errors';
import type { SpaceDef } from '../../core/space';
import type { ExportPart } from '../../models/export';
import { partKey, subnetParts } from './parts';

export interface LatencyTableJson {
  space: SpaceDef['name'];
  /** [part key, ms] pairs. */
  entries: [string, number][];
}

/** "block:f56-c24x24-..." -> { shape: "block:c24x24-...", size: 56 }; "stem:r128" -> { shape: "stem", size: 128 }. */
function splitKey(key: string): { shape: string; size: number } | null {
  const m = /^(stem|head):[rf](\d+)$/.exec(key) ?? /^(block):f(\d+)-(.*)$/.exec(key);
  if (!m) return null;
  return { shape: m[1] === 'block' ? `block:${m[3]}` : m[1], size: Number(m[2]) };
}

export class LatencyTable {
  private readonly bySize = new Map<string, { size: number; ms: number }[]>();

  constructor(
    readonly space: SpaceDef,
    private readonly entries: ReadonlyMap<string, number>,
  ) {
    for (const [key, ms] of entries) {
      const split = splitKey(key);
      if (!split) continue;
      const list = this.bySize.get(split.shape) ?? [];
      list.push({ size: split.size, ms });
      this.bySize.set(split.shape, list);
    }
    for (const list of this.bySize.values()) list.sort((a, b) => a.size - b.size);
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Measured or interpolated latency of one part; NotFoundError when the shape was never measured. */
  partMs(part: ExportPart): number {
    const key = partKey(part);
    const exact = this.entries.get(key);
    if (exact !== undefined) return exact;
    const split = splitKey(key)!;
    const list = this.bySize.get(split.shape);
    if (!list || list.length === 0) throw new NotFoundError(`the latency table of ${this.space.name} has no part of shape ${split.shape} (needed ${key}); run a blocks sweep`);
    const area = split.size * split.size;
    if (list.length === 1) return (list[0].ms * area) / (list[0].size * list[0].size);
    let hi = list.findIndex((e) => e.size > split.size);
    if (hi <= 0) hi = hi === 0 ? 1 : list.length - 1;
    const a = list[hi - 1];
    const b = list[hi];
    const t = (area - a.size * a.size) / (b.size * b.size - a.size * a.size);
    return Math.max(0, a.ms + t * (b.ms - a.ms));
  }

  /** Sum over a subnet's parts (stem, active blocks, head). */
  sum(config: SubnetConfig): number {
    let total = 0;
    for (const part of subnetParts(this.space, config)) total += this.partMs(part);
    return total;
  }

  /** Per-group sums: stem, first block, each stage, head (features for learned twins). */
  groupSums(config: SubnetConfig): Float64Array {
    const out = new Float64Array(this.space.stages.length + 3);
    for (const part of subnetParts(this.space, config)) {
      const ms = this.partMs(part);
      if (part.kind === 'stem') out[0] += ms;
      else if (part.kind === 'head') out[out.length - 1] += ms;
      else out[1 + part.block.stage] += ms;
    }
    return out;
  }

  /** Whether every part of the subnet is measured or can be interpolated. */
  covers(config: SubnetConfig): boolean {
    return subnetParts(this.space, config).every((part) => {
      const split = splitKey(partKey(part));
      return split !== null && (this.bySize.get(split.shape)?.length ?? 0) > 0;
    });
  }

  toJSON(): LatencyTableJson {
    return { space: this.space.name, entries: [...this.entries] };
  }
}
