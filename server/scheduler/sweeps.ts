/**
 * Sweeps as the coordinator offers them: plan the subnets, store sweep + jobs in one
 * transaction, report progress and failures, cancel (telling the agents measuring its jobs).
 */
import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { MeasurementSettings } from '../../core/measurement';
import { createRng } from '../../core/rng';
import { SPACE_NAMES, SPACES, type SpaceDef } from '../../core/space';
import { subnetId } from '../../core/subnet-id';
import type { Db } from '../../db/client';
import { requireDeviceByName } from '../../db/queries/devices';
import { upsertParts, upsertSubnets } from '../../db/queries/subnets';
import { cancelSweep } from '../../db/queries/sweep-control';
import { createSweep, listSweepJobs, listSweeps, MAX_JOBS_PER_SWEEP, requireSweep, type NewSweepJob, type SweepView } from '../../db/queries/sweeps';
import { blocksPartRows } from '../twins/blocks-sweep';
import type { Dispatcher } from './dispatcher';
import { DEFAULT_ANCHOR_EVERY, sweepParams, type SweepParams } from './sweep-params';
import { anchorConfig, PLAN_STRATEGIES, planConfigs, withAnchors } from './sweep-plan';

const MAX_COUNT = 10_000;

/** What `POST /api/sweeps` accepts. */
export const SweepRequest = z.object({
  device: z.string().min(1).max(100),
  space: z.enum(SPACE_NAMES),
  strategy: z.enum([...PLAN_STRATEGIES, 'blocks']).default('random'),
  /** For `blocks`: the resolutions whose parts are measured (default: the space's whole grid). */
  resolutions: z.array(z.number().int().positive()).max(100).optional(),
  /** Subnets to measure (for `list`: the first N configs; all when absent). */
  count: z.number().int().min(1).max(MAX_COUNT).optional(),
  /** Configs of a `list` sweep, as read from the user's file. */
  configs: z.array(z.unknown()).max(MAX_COUNT).optional(),
  configsFile: z.string().max(1000).optional(),
  /** Sampling seed; a random one is drawn (and stored) when absent. */
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  settings: MeasurementSettings.partial().optional(),
  /** Start time: ISO 8601 or epoch ms; default now. */
  startAt: z.union([z.string().max(100), z.number()]).optional(),
  /** Repeat every this many ms (>= 1 s), re-measuring the same subnets. */
  everyMs: z.number().int().min(1000).max(366 * 24 * 3600 * 1000).optional(),
  /** Anchor re-measured first, after every K subnets and last; 0 turns it off. */
  anchorEvery: z.number().int().min(0).max(MAX_COUNT).default(DEFAULT_ANCHOR_EVERY),
  /** Random-weight seed of the models (default 0: all sweeps share artifacts). */
  weightsSeed: z.number().int().min(0).max(2 ** 31).default(0),
  maxAttempts: z.number().int().min(1).max(100).optional(),
});
export type SweepRequest = z.input<typeof SweepRequest>;

export interface SweepFailure {
  jobId: number;
  subnetId: string | null;
  anchor: boolean;
  attempts: number;
  error: string | null;
}

export interface SweepDetail extends SweepView {
  params: SweepParams & Record<string, unknown>;
  failures: SweepFailure[];
}

function parseStartAt(value: string | number | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = typeof value === 'number' ? new Date(value) : new Date(value);
  if (Number.isNaN(d.getTime())) throw new ValidationError(`start time "${value}" is not a valid time (ISO 8601, e.g. 2025-01-31T06:00:00Z)`);
  return d;
}

export class SweepService {
  constructor(
    private readonly db: Db,
    private readonly dispatcher: Dispatcher,
  ) {}

  async create(input: z.output<typeof SweepRequest>): Promise<SweepDetail> {
    const space = SPACES[input.space];
    const device = await requireDeviceByName(this.db, input.device);
    const settings = MeasurementSettings.parse(input.settings ?? {});
    const seed = input.seed ?? Math.floor(Math.random() * 2 ** 31);
    const targets = input.strategy === 'blocks' ? await this.partTargets(space, input.resolutions) : await this.subnetTargets(space, input, seed);
    if (targets.jobs.length > MAX_JOBS_PER_SWEEP) throw new ValidationError(`the sweep would have ${targets.jobs.length} jobs; at most ${MAX_JOBS_PER_SWEEP}`);
    const params: SweepParams = {
      weightsSeed: input.weightsSeed,
      anchorEvery: input.anchorEvery,
      anchorSubnetId: input.anchorEvery > 0 && input.strategy !== 'blocks' ? subnetId(space, anchorConfig(space)) : null,
      configsFile: input.configsFile ?? null,
    };
    const sweep = await createSweep(this.db, {
      deviceId: device.id,
      space: space.name,
      strategy: input.strategy,
      count: targets.count,
      seed,
      settings,
      params: { ...params },
      startAt: parseStartAt(input.startAt),
      repeatEveryMs: input.everyMs ?? null,
      maxAttempts: input.maxAttempts,
      jobs: targets.jobs,
    });
    this.dispatcher.poke();
    return this.get(sweep.id);
  }

  /** Subnets planned by a sampling strategy (or listed), with the anchor woven in. */
  private async subnetTargets(space: SpaceDef, input: z.output<typeof SweepRequest>, seed: number): Promise<{ count: number; jobs: NewSweepJob[] }> {
    if (input.strategy === 'blocks') throw new Error('unreachable');
    if (input.strategy !== 'list' && input.count === undefined) throw new ValidationError(`count is required for strategy ${input.strategy}`);
    const configs = planConfigs(space, input.strategy, { count: input.count, configs: input.configs, rng: createRng(seed) });
    const planned = withAnchors(space, configs, input.anchorEvery);
    if (planned.length > MAX_JOBS_PER_SWEEP) throw new ValidationError(`the sweep would have ${planned.length} jobs; at most ${MAX_JOBS_PER_SWEEP}`);
    const rows = await upsertSubnets(this.db, space, planned.map((p) => p.config));
    return { count: configs.length, jobs: planned.map((p, i) => ({ subnetId: rows[i].id, anchor: p.anchor })) };
  }

  /** `blocks`: every part of the space (stem, each distinct block, head) at the resolutions asked. */
  private async partTargets(space: SpaceDef, resolutions: readonly number[] | undefined): Promise<{ count: number; jobs: NewSweepJob[] }> {
    const parts = await upsertParts(this.db, blocksPartRows(space, resolutions));
    return { count: parts.length, jobs: parts.map((p) => ({ partKey: p.key })) };
  }

  async get(id: number): Promise<SweepDetail> {
    const sweep = await requireSweep(this.db, id);
    const failures: SweepFailure[] = [];
    if (sweep.progress.failed > 0) {
      for (const job of await listSweepJobs(this.db, id)) {
        if (job.status === 'failed') failures.push({ jobId: job.id, subnetId: job.subnetId, anchor: job.anchor, attempts: job.attempt, error: job.lastError });
      }
    }
    return { ...sweep, params: { ...sweep.params, ...sweepParams(sweep.params) }, failures };
  }

  async list(opts: { device?: string; active?: boolean; limit?: number }): Promise<SweepView[]> {
    const deviceId = opts.device ? (await requireDeviceByName(this.db, opts.device)).id : undefined;
    return listSweeps(this.db, { deviceId, active: opts.active, limit: opts.limit });
  }

  async cancel(id: number, reason: string): Promise<SweepDetail & { cancelledJobs: number; stopping: number; cancelledSuccessors: number[] }> {
    const result = await cancelSweep(this.db, id, { reason });
    this.dispatcher.cancelLeased(result.leasedJobs, `sweep ${id} cancelled: ${reason}`);
    const detail = await this.get(id);
    return { ...detail, cancelledJobs: result.cancelledJobs, stopping: result.leasedJobs.length, cancelledSuccessors: result.cancelledSuccessors };
  }
}
