/**
 * ONNX artifacts built on demand: the first dispatch of a job exports its subnet with models/,
 * stores the bytes once by sha256 and records the hash on every job of that subnet in the sweep.
 * Latency sweeps use seeded random weights (weights do not change latency); the seed is fixed per
 * sweep (default 0 for every sweep), so identical subnets share one artifact across sweeps.
 */
import { FarmError, NotFoundError } from '../../core/errors';
import { isSpaceName, SPACES, type SpaceDef } from '../../core/space';
import type { Db } from '../../db/client';
import { putArtifactBase64, readArtifactBytes } from '../../db/queries/artifact-blobs';
import { findArtifactFor, getArtifactInfo } from '../../db/queries/artifacts';
import { setJobArtifact, type JobContext } from '../../db/queries/queue';
import type { ArtifactInfo } from '../../db/schema/artifacts';
import { exportSubnet } from '../../models/export';
import { randomSupernetWeights } from '../../models/random-weights';
import type { SupernetWeights } from '../../models/supernet-tensors';
import { weightsSeedOf } from '../scheduler/sweep-params';
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
  private readonly building = new Map<string, Promise<ArtifactInfo>>();
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
    if (!ctx.subnet) {
      throw new FarmError(`job ${ctx.job.id} measures part "${ctx.job.partKey}"; part models are built by the sweep that created them, and none is stored`);
    }
    const inputShape = [1, space.inputChannels, ctx.subnet.r, ctx.subnet.r];
    if (ctx.job.artifactSha256) {
      const info = await getArtifactInfo(this.db, ctx.job.artifactSha256);
      if (info) return { sha256: info.sha256, bytes: info.size, inputShape };
    }
    const seed = weightsSeedOf(ctx.sweep.params);
    const weightsKey = `seed:${seed}`;
    const key = `${ctx.subnet.id}/${weightsKey}`;
    let pending = this.building.get(key);
    if (!pending) {
      pending = this.build(space, ctx, seed, weightsKey).finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    const info = await pending;
    if (ctx.job.artifactSha256 !== info.sha256) await setJobArtifact(this.db, ctx.job.id, info.sha256);
    return { sha256: info.sha256, bytes: info.size, inputShape };
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
