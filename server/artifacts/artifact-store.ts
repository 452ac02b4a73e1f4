/**
 * ONNX artifacts built on demand: the first dispatch of a job exports its subnet (or part) with models/,
 * stores the bytes once by sha256 and records the hash on every job of that subnet in the sweep.
 * Latency sweeps use seeded random weights (weights do not change latency); the seed is fixed per
 * sweep (default 0 for every sweep), so identical subnets share one artifact across sweeps.
 */
import { FarmError, NotFoundError } from '../../core/errors';
import { isSpaceName, SPACES, type SpaceDef } from '../../core/space';
import type { Db } from '../../db/client';
import { putArtifactBase64, readArtifactBytes } from '../../db/queries/artifact-blobs';
import { findArtifactFor, getArtifactInfo } from '../../db/queries/artifacts';
import { setSweepArtifact, type JobContext } from '../../db/queries/queue';
import type { ArtifactInfo } from '../../db/schema/artifacts';
import { exportSubnet } from '../../models/export';
import { randomSupernetWeights } from '../../models/random-weights';
import type { SupernetWeights } from '../../models/supernet-tensors';
import { weightsSeedOf } from '../scheduler/sweep-params';
import { buildPartArtifact } from '../twins/blocks-sweep';
import { ByteLru } from './byte-lru';

/** Supernets kept in memory (lazily materialised tensors; one per space and seed). */
const MAX_CACHED_WEIGHTS = 4;

export interface BuiltModel {
  sha256: string;
  bytes: number;
  inputShape: number[];
}

export class ArtifactStore {
  private readonly weights = new Map<string, SupernetWeights>();
  private readonly building = new Map<string, Promise<unknown>>();
  private readonly sizes = new Map<string, number>();
  private readonly builtFor = new Map<string, Pick<ArtifactInfo, 'sha256' | 'size'>>();
  /** Models built or served lately: an agent downloads a model right after it was built. */
  private readonly recent: ByteLru;

  constructor(
    private readonly db: Db,
    opts: { cacheBytes?: number } = {},
  ) {
    this.recent = new ByteLru(opts.cacheBytes ?? 256 * 1024 * 1024);
  }

  /** The model of a job, built and stored if needed. */
  async forJob(ctx: JobContext): Promise<BuiltModel> {
    const space = spaceOf(ctx.job.space);
    const seed = weightsSeedOf(ctx.sweep.params);
    const weightsKey = `seed:${seed}`;
    if (ctx.part) {
      const part = ctx.part;
      const built = await this.once(`part/${part.key}/${weightsKey}`, async () => {
        const b = await buildPartArtifact(this.db, space, part, this.weightsFor(space, seed), weightsKey);
        if (b.model) this.recent.set(b.sha256, b.model);
        return b;
      });
      if (ctx.job.artifactSha256 !== built.sha256) await setSweepArtifact(this.db, ctx.job, built.sha256);
      return { sha256: built.sha256, bytes: built.bytes, inputShape: built.inputShape };
    }
    if (!ctx.subnet) throw new FarmError(`job ${ctx.job.id} has neither a subnet nor a part`);
    const subnet = ctx.subnet;
    const inputShape = [1, space.inputChannels, subnet.r, subnet.r];
    if (ctx.job.artifactSha256) {
      const known = this.sizes.get(ctx.job.artifactSha256);
      if (known !== undefined) return { sha256: ctx.job.artifactSha256, bytes: known, inputShape };
      const info = await getArtifactInfo(this.db, ctx.job.artifactSha256);
      if (info) {
        this.remember(info.sha256, info.size);
        return { sha256: info.sha256, bytes: info.size, inputShape };
      }
    }
    const key = `subnet/${subnet.id}/${weightsKey}`;
    const info = this.builtFor.get(key) ?? (await this.once(key, () => this.build(space, ctx, seed, weightsKey)));
    this.rememberBuilt(key, info);
    if (ctx.job.artifactSha256 !== info.sha256) await setSweepArtifact(this.db, ctx.job, info.sha256);
    return { sha256: info.sha256, bytes: info.size, inputShape };
  }

  /** subnet and weights -> its stored model (immutable: the same export gives the same bytes). */
  private rememberBuilt(key: string, info: Pick<ArtifactInfo, 'sha256' | 'size'>): void {
    if (this.builtFor.has(key)) return;
    if (this.builtFor.size >= 100_000) this.builtFor.delete(this.builtFor.keys().next().value!);
    this.builtFor.set(key, { sha256: info.sha256, size: info.size });
  }

  /** Sizes of stored artifacts (immutable: a sha256 names its bytes for ever). */
  private remember(sha256: string, size: number): void {
    if (this.sizes.size >= 100_000) this.sizes.delete(this.sizes.keys().next().value!);
    this.sizes.set(sha256, size);
  }

  /** One build per key at a time: concurrent dispatches of the same model share it. */
  private once<T>(key: string, build: () => Promise<T>): Promise<T> {
    let pending = this.building.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = build().finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  private async build(space: SpaceDef, ctx: JobContext, seed: number, weightsKey: string): Promise<ArtifactInfo> {
    const subnet = ctx.subnet!;
    const existing = await findArtifactFor(this.db, { subnetId: subnet.id, weights: weightsKey });
    if (existing) return existing;
    const exported = exportSubnet({ space, config: subnet.config, weights: this.weightsFor(space, seed) });
    const { artifact } = await putArtifactBase64(this.db, { bytes: exported.bytes, kind: 'subnet', space: space.name, subnetId: subnet.id, weights: weightsKey });
    this.recent.set(artifact.sha256, exported.bytes);
    return artifact;
  }

  private weightsFor(space: SpaceDef, seed: number): SupernetWeights {
    const key = `${space.name}/${seed}`;
    let w = this.weights.get(key);
    if (!w) {
      if (this.weights.size >= MAX_CACHED_WEIGHTS) this.weights.delete(this.weights.keys().next().value!);
      w = randomSupernetWeights(space, seed);
      this.weights.set(key, w);
    }
    return w;
  }

  /** The bytes of a stored model. */
  async bytes(sha256: string): Promise<Uint8Array> {
    const cached = this.recent.get(sha256);
    if (cached) return cached;
    const bytes = await readArtifactBytes(this.db, sha256);
    if (!bytes) throw new NotFoundError(`no artifact ${sha256}`);
    this.recent.set(sha256, bytes);
    return bytes;
  }
}

function spaceOf(name: string): SpaceDef {
  if (!isSpaceName(name)) throw new FarmError(`unknown space "${name}"`);
  return SPACES[name];
}
