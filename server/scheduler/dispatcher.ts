/**
 * Hands jobs to the agents connected to THIS coordinator, one job at a time per agent, and
 * follows each job until its result, release or loss. Several coordinators may share one
 * database: each dispatches only to its own agents, its leases carry its instance id, and the
 * queue's row locks keep a job from being leased twice.
 *
 * Dispatch runs when an agent becomes idle (welcome, ack, release), when a sweep is created or a
 * job returns to the queue, and on a periodic tick (sweeps created elsewhere, scheduled starts).
 */
import { errorMessage, ForbiddenError } from '../../core/errors';
import type { Measurement } from '../../core/measurement';
import type { Db } from '../../db/client';
import type { SettledJob } from '../../db/queries/job-settle';
import { extendLease, getJob, getJobContext, leaseNextJob, listLeasedJobs, parseJobId, releaseJob } from '../../db/queries/queue';
import type { RecordedResult } from '../../db/queries/results';
import type { JobRow } from '../../db/schema/jobs';
import { devicesWithWork, sweepCompletion } from '../../db/queries/dispatch';
import type { FarmEventBus } from '../events';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { AgentLink, JobAssignment, JobRef } from './agent-link';
import { ResultBatcher } from './result-batcher';

export interface DispatcherOptions {
  db: Db;
  instanceId: string;
  leaseMs: number;
  artifacts: ArtifactStore;
  log: (line: string) => void;
  events: FarmEventBus;
  /** After an agent releases a job, it gets no new one for this long (it may be shutting down). */
  releaseCooldownMs?: number;
  /** At most this many leases in flight at once (the database does the rest). */
  concurrency?: number;
  /** Every newly stored result (twins refit when a sweep completes). */
  onResult?: (recorded: RecordedResult) => void;
}

interface LinkState {
  link: AgentLink;
  /** No dispatch before this time (ms since epoch). */
  holdUntil: number;
  /** A cancel was sent for the current job. */
  cancelSent: boolean;
  /** The agent says it measures a job that is not leased to it (a lost lease): wait until it is idle. */
  busyElsewhere: boolean;
}

/** The first line of an error, bounded: database errors carry the query and its parameters (a whole model). */
export function shortError(error: unknown): string {
  return errorMessage(error).split('\n')[0].slice(0, 300);
}

/** Idle agents from which a dispatch round first asks which of them have work. */
const PREFILTER_AT = 4;

export class Dispatcher {
  private readonly links = new Map<string, LinkState>();
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Sweeps this coordinator announced as finished (bounded; old ids are forgotten). */
  private readonly announced = new Set<number>();
  /** Leases taken / jobs sent, for benchmarks and logs. */
  readonly stats = { leased: 0, sent: 0, results: 0, dispatchMs: 0 };
  private readonly results: ResultBatcher;

  constructor(private readonly opts: DispatcherOptions) {
    this.results = new ResultBatcher(opts.db);
  }

  get connected(): number {
    return this.links.size;
  }

  linkOf(deviceId: string): AgentLink | undefined {
    return this.links.get(deviceId)?.link;
  }

  /**
   * A newly authenticated agent. Returns the link it replaces (same device, older connection).
   * When the device holds a lease (the agent reconnected, or restarted), nothing is dispatched
   * until its first heartbeat says whether it is still measuring that job.
   */
  async attach(link: AgentLink): Promise<AgentLink | undefined> {
    const previous = this.links.get(link.deviceId)?.link;
    const leased = await listLeasedJobs(this.opts.db, { deviceId: link.deviceId, limit: 10 });
    link.confirmed = leased.length === 0;
    link.current = null;
    this.links.set(link.deviceId, { link, holdUntil: 0, cancelSent: false, busyElsewhere: false });
    if (link.confirmed) this.poke();
    return previous;
  }

  /** The link is gone; its lease (if any) is left to the caller's disconnect policy. */
  detach(link: AgentLink): boolean {
    const state = this.links.get(link.deviceId);
    if (state?.link !== link) return false;
    this.links.delete(link.deviceId);
    return true;
  }

  /** A heartbeat: the agent says which job it is measuring (or none). */
  async heartbeat(link: AgentLink, busyJobId: string | null): Promise<void> {
    const state = this.links.get(link.deviceId);
    if (!state || state.link !== link) return;
    if (!link.confirmed) {
      await this.reconcile(link, busyJobId);
      link.confirmed = true;
      this.poke();
      return;
    }
    if (busyJobId !== null) {
      if (link.current?.jobId !== busyJobId) await this.adopt(link, busyJobId);
      state.busyElsewhere = link.current?.jobId !== busyJobId;
      if (link.current) await this.extend(state, link.current);
      return;
    }
    if (state.busyElsewhere) {
      state.busyElsewhere = false;
      this.poke();
    }
    if (link.current) {
      // Idle by the agent's account while we think it measures: trust it once the lease is
      // over (a job frame may still be in flight towards it), or when its job was cancelled.
      const job = await getJob(this.opts.db, parseJobId(link.current.jobId));
      const leasedToIt = job?.status === 'leased' && job.attempt === link.current.attempt;
      if (leasedToIt && job.cancelRequestedAt) {
        await releaseJob(this.opts.db, { jobId: job.id, attempt: job.attempt, deviceId: link.deviceId, reason: 'cancelled', charge: false });
      }
      if (!leasedToIt || job.cancelRequestedAt) {
        link.current = null;
        state.cancelSent = false;
        this.poke();
      }
    }
  }

  /** Progress of the current job extends its lease like a heartbeat. */
  async progress(link: AgentLink, ref: JobRef): Promise<void> {
    const state = this.links.get(link.deviceId);
    if (state?.link === link && link.current?.jobId === ref.jobId && link.current.attempt === ref.attempt) await this.extend(state, ref);
  }

  async result(link: AgentLink, ref: JobRef, measurement: Measurement): Promise<RecordedResult> {
    const recorded = await this.results.record({ jobId: parseJobId(ref.jobId), attempt: ref.attempt, deviceId: link.deviceId, measurement });
    this.stats.results++;
    if (link.current?.jobId === ref.jobId && link.current.attempt === ref.attempt) this.becameIdle(link);
    if (recorded.outcome !== 'duplicate') {
      this.poke();
      const m = recorded.measurement;
      this.opts.events.emit('measurement', { measurementId: m.id, jobId: m.jobId, sweepId: m.sweepId, deviceId: m.deviceId, counted: m.counted });
      // After the ack: the agent need not wait for bookkeeping.
      if (recorded.outcome !== 'late' && recorded.outcome !== 'requeued') {
        const sweepId = recorded.job.sweepId;
        setImmediate(() => void this.announceIfFinished(sweepId, recorded).catch((error) => this.opts.log(`sweep ${sweepId}: ${errorMessage(error)}`)));
      }
    }
    return recorded;
  }

  /** The agent gives the job back unmeasured: not charged against the job's attempts. */
  async release(link: AgentLink, ref: JobRef, reason: string): Promise<void> {
    const jobId = parseJobId(ref.jobId);
    const settled = await releaseJob(this.opts.db, { jobId, attempt: ref.attempt, deviceId: link.deviceId, reason: `released by the agent: ${reason}`, charge: false });
    if (!settled) {
      const job = await getJob(this.opts.db, jobId);
      if (job && job.deviceId !== link.deviceId) throw new ForbiddenError(`job ${ref.jobId} is not assigned to this device`);
    }
    if (link.current?.jobId === ref.jobId && link.current.attempt === ref.attempt) {
      this.becameIdle(link);
      const state = this.links.get(link.deviceId);
      if (state) state.holdUntil = Date.now() + (this.opts.releaseCooldownMs ?? 2000);
    }
    this.poke();
  }

  /** An agent-side error about its current job: that attempt failed (charged). */
  async agentError(link: AgentLink, jobId: string, message: string): Promise<void> {
    const current = link.current;
    if (!current || current.jobId !== jobId) return;
    await releaseJob(this.opts.db, { jobId: parseJobId(jobId), attempt: current.attempt, deviceId: link.deviceId, reason: `agent error: ${message}`, charge: true });
    this.becameIdle(link);
    this.poke();
  }

  /** Jobs of a cancelled sweep that are being measured: tell their agents here to stop. */
  cancelLeased(jobs: readonly JobRow[], reason: string): void {
    for (const job of jobs) {
      const state = this.links.get(job.deviceId);
      if (!state || state.link.current?.jobId !== String(job.id)) continue;
      state.cancelSent = state.link.sendCancel(state.link.current, reason);
    }
  }

  /** Jobs the reaper or a disconnect settled: idle links again, queued jobs to dispatch. */
  settled(jobs: readonly SettledJob[]): void {
    if (jobs.length === 0) return;
    this.poke();
    const finished = new Set(jobs.filter((s) => s.outcome !== 'queued').map((s) => s.job.sweepId));
    for (const sweepId of finished) void this.announceIfFinished(sweepId).catch((error) => this.opts.log(`sweep ${sweepId}: ${errorMessage(error)}`));
  }

  /**
   * Emits `sweep-finished` once when a sweep has no job left, and hands the result that finished
   * it to `onResult` (twins refit then; asking for every result cost two queries per result).
   */
  async announceIfFinished(sweepId: number, last?: RecordedResult): Promise<void> {
    if (this.announced.has(sweepId)) return;
    const sweep = await sweepCompletion(this.opts.db, sweepId);
    if (!sweep || sweep.status === 'active' || sweep.remaining > 0 || this.announced.has(sweepId)) return;
    this.announced.add(sweepId);
    if (last?.stored) this.opts.onResult?.(last);
    if (this.announced.size > 10_000) this.announced.delete(this.announced.values().next().value!);
    this.opts.events.emit('sweep-finished', { sweepId, deviceId: sweep.deviceId, space: sweep.space, state: sweep.status });
  }

  /** Asks for a dispatch round soon; rounds never overlap, pokes during one cause another. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error) => this.opts.log(`dispatch round failed: ${shortError(error)}`))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.poke();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private becameIdle(link: AgentLink): void {
    link.current = null;
    const state = this.links.get(link.deviceId);
    if (state) state.cancelSent = false;
  }

  private idleLinks(): LinkState[] {
    const now = Date.now();
    return [...this.links.values()].filter((s) => s.link.isOpen && s.link.confirmed && !s.link.current && !s.busyElsewhere && s.holdUntil <= now);
  }

  private async round(): Promise<void> {
    const started = performance.now();
    const idle = this.idleLinks();
    if (idle.length === 0) return;
    // With many idle agents, one indexed query finds those with work before any lease is tried.
    let candidates = idle;
    if (idle.length >= PREFILTER_AT) {
      const withWork = await devicesWithWork(this.opts.db, idle.map((s) => s.link.deviceId));
      candidates = idle.filter((s) => withWork.has(s.link.deviceId));
    }
    // A pool of workers, not chunks: one slow lease does not hold up the others.
    let next = 0;
    const worker = async () => {
      while (next < candidates.length) await this.dispatchOne(candidates[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 8, candidates.length) }, worker));
    this.stats.dispatchMs += performance.now() - started;
  }

  private async dispatchOne(state: LinkState): Promise<void> {
    const { link } = state;
    if (!link.isOpen || link.current || this.links.get(link.deviceId) !== state) return;
    const job = await leaseNextJob(this.opts.db, { deviceId: link.deviceId, ownerId: this.opts.instanceId, leaseMs: this.opts.leaseMs });
    if (!job) return;
    this.stats.leased++;
    const ref: JobRef = { jobId: String(job.id), attempt: job.attempt };
    link.current = ref;
    let assignment: JobAssignment;
    try {
      assignment = await this.assignment(job);
    } catch (error) {
      this.opts.log(`job ${job.id}: could not prepare its model: ${shortError(error)}`);
      await releaseJob(this.opts.db, { jobId: job.id, attempt: job.attempt, reason: `the coordinator could not build the model: ${shortError(error)}`, charge: true });
      this.becameIdle(link);
      return;
    }
    if (!link.isOpen || !link.sendJob(assignment)) {
      await releaseJob(this.opts.db, { jobId: job.id, attempt: job.attempt, reason: 'the agent disconnected before the job reached it', charge: false });
      this.becameIdle(link);
      return;
    }
    this.stats.sent++;
  }

  private async assignment(job: JobRow): Promise<JobAssignment> {
    const ctx = await getJobContext(this.opts.db, job.id);
    if (!ctx) throw new Error(`job ${job.id} vanished`);
    const model = await this.opts.artifacts.forJob(ctx);
    const leaseDeadline = (job.leaseExpiresAt ?? new Date(Date.now() + this.opts.leaseMs)).getTime();
    const what = ctx.subnet ? `subnet ${ctx.subnet.id} r${ctx.subnet.r}` : `part ${job.partKey}`;
    return {
      jobId: String(job.id),
      attempt: job.attempt,
      leaseDeadline,
      model: { sha256: model.sha256, url: `/artifacts/${model.sha256}`, bytes: model.bytes },
      inputName: 'input',
      inputShape: model.inputShape,
      settings: ctx.sweep.settings,
      label: `sweep ${job.sweepId} ${job.space} ${what}${job.anchor ? ' (anchor)' : ''}`,
    };
  }

  private async extend(state: LinkState, ref: JobRef): Promise<void> {
    const job = await extendLease(this.opts.db, { jobId: parseJobId(ref.jobId), attempt: ref.attempt, deviceId: state.link.deviceId, ownerId: this.opts.instanceId, leaseMs: this.opts.leaseMs });
    if (job?.cancelRequestedAt && !state.cancelSent) state.cancelSent = state.link.sendCancel(ref, 'the sweep was cancelled');
  }

  /** The agent measures a job we did not know it had (reconnect, another coordinator's lease). */
  private async adopt(link: AgentLink, busyJobId: string): Promise<void> {
    let id: number;
    try {
      id = parseJobId(busyJobId);
    } catch {
      return;
    }
    const job = await getJob(this.opts.db, id);
    if (job && job.status === 'leased' && job.deviceId === link.deviceId) link.current = { jobId: busyJobId, attempt: job.attempt };
  }

  /**
   * First heartbeat after a (re)connect: a lease of this device that the agent still measures is
   * kept; any other lease of this device is lost work (the agent restarted): back to the queue,
   * charged, at once rather than when the lease expires.
   */
  private async reconcile(link: AgentLink, busyJobId: string | null): Promise<void> {
    const leased = await listLeasedJobs(this.opts.db, { deviceId: link.deviceId, limit: 10 });
    for (const job of leased) {
      if (busyJobId === String(job.id)) {
        link.current = { jobId: busyJobId, attempt: job.attempt };
        const state = this.links.get(link.deviceId);
        if (state) await this.extend(state, link.current);
        continue;
      }
      const settled = await releaseJob(this.opts.db, { jobId: job.id, attempt: job.attempt, deviceId: link.deviceId, reason: 'the agent reconnected without this job (it restarted or lost it)', charge: true });
      if (settled) this.opts.log(`job ${job.id} attempt ${job.attempt}: agent ${link.deviceName} came back without it; job ${settled.outcome}`);
    }
  }
}
