/**
 * The agent session: `startAgent(opts)` connects a DeviceBackend to a coordinator and runs jobs
 * one at a time until stopped. Frames are handled by a typed map (wire.ts); jobs by runJob
 * (job-runner.ts); results go through the outbox until acknowledged.
 */
import { errorMessage } from '../../core/errors';
import { DeviceDescription, type JobFrame } from '../../core/protocol';
import { AbortedError, settlesWithin, sleep } from './abort';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import type { DeviceBackend } from './backend';
import { Connection, type ConnectionEnd } from './connection';
import { runJob, type JobPhase } from './job-runner';
import { silentLogger, type Logger } from './log';
import { Outbox, type OutboxEntry } from './outbox';
import { agentSocketUrl, type AgentPlatform } from './platform';
import { decodeIncoming, dispatch, encodeOutgoing, type OutgoingFrame, type ToAgentHandlers } from './wire';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  /** The coordinator's HTTP URL, e.g. http://127.0.0.1:7070. */
  server: string;
  token: string;
  backend: DeviceBackend;
  platform: AgentPlatform;
  /** Same-host key: agents sharing one never measure at the same time. */
  host?: string | null;
  agentVersion?: string;
  log?: Logger;
  backoff?: BackoffPolicy;
  /** Socket open to welcome. */
  connectTimeoutMs?: number;
  /** Consecutive failed connects before giving up; default: keep trying until stopped. */
  maxConnectAttempts?: number;
  /** Unacknowledged results are resent this often while connected (and after every welcome). */
  resendAfterMs?: number;
  /** After the coordinator says it could not apply a frame (its database may be down), results not yet acknowledged are resent this soon. */
  retryAfterErrorMs?: number;
  /** Progress frames at most this often per job. */
  progressIntervalMs?: number;
}

export interface AgentExit {
  /** True when the agent ended on its own and a restart will not help (auth, version). */
  fatal: boolean;
  code: string;
  message: string;
}

export interface StopOptions {
  /** How long a running job may take to finish before it is aborted and released. */
  graceMs?: number;
  reason?: string;
}

export interface AgentStatus {
  connected: boolean;
  deviceId: string | null;
  deviceName: string | null;
  busyJobId: string | null;
  outbox: number;
  connects: number;
}

export interface RunningAgent {
  stop(options?: StopOptions): Promise<AgentExit>;
  /** Resolves when the agent has ended: stopped, or refused for good. */
  finished: Promise<AgentExit>;
  status(): AgentStatus;
}

interface ActiveJob {
  frame: JobFrame;
  controller: AbortController;
  done: Promise<void>;
  /** Why it was aborted: a coordinator cancel sends nothing, a stop sends a release. */
  abortedBy: 'cancel' | 'stop' | null;
}

const FATAL_ERROR_CODES = new Set(['auth_failed', 'bad_version']);

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const log = opts.log ?? silentLogger;
  const described = DeviceDescription.safeParse(await opts.backend.describe());
  if (!described.success) {
    const issue = described.error.issues[0];
    throw new Error(`the ${opts.backend.kind} backend described its device wrongly: ${issue.path.join('.') || 'description'}: ${issue.message}`);
  }
  const device = described.data;
  const outbox = new Outbox(opts.platform.outbox, log);
  const restored = await outbox.load();
  if (restored > 0) log.info('outbox.restored', { results: restored });

  const resendAfterMs = opts.resendAfterMs ?? 30_000;
  const retryAfterErrorMs = opts.retryAfterErrorMs ?? 2_000;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  const progressIntervalMs = opts.progressIntervalMs ?? 1_000;
  let active: ActiveJob | null = null;
  /** A job that arrived while a cancelled one was still winding down. */
  let queued: JobFrame | null = null;
  let stopping = false;
  let deviceId: string | null = null;
  let deviceName: string | null = null;
  let ending: Promise<AgentExit> | null = null;
  let resolveFinished!: (exit: AgentExit) => void;
  const finished = new Promise<AgentExit>((resolve) => (resolveFinished = resolve));

  const send = (frame: OutgoingFrame): boolean => conn.send(encodeOutgoing(frame));
  const sendResult = (entry: OutboxEntry) => send({ type: 'result', jobId: entry.jobId, attempt: entry.attempt, measurement: entry.measurement });
  const resendDue = (all: boolean) => {
    for (const entry of outbox.due(Date.now(), all ? 0 : resendAfterMs)) {
      if (sendResult(entry)) log.info('result.sent', { jobId: entry.jobId, attempt: entry.attempt, status: entry.measurement.status, resend: true });
    }
  };
  const heartbeat = () => send({ type: 'heartbeat', busyJobId: active?.frame.jobId ?? null });

  const progressSender = (frame: JobFrame) => {
    let lastPhase: JobPhase | null = null;
    let lastAt = 0;
    return (phase: JobPhase, done: number, total: number) => {
      const now = Date.now();
      if (phase === lastPhase && now - lastAt < progressIntervalMs && done < total) return;
      lastPhase = phase;
      lastAt = now;
      send({ type: 'progress', jobId: frame.jobId, attempt: frame.attempt, phase, done, total });
    };
  };

  const execute = async (job: ActiveJob): Promise<void> => {
    const { frame, controller } = job;
    const ref = { jobId: frame.jobId, attempt: frame.attempt };
    log.info('job.start', { ...ref, label: frame.label || null, sha256: frame.model.sha256.slice(0, 12) });
    try {
      const outcome = await runJob(frame, { backend: opts.backend, models: opts.platform.models, baseUrl: opts.server, token: opts.token, progress: progressSender(frame) }, controller.signal);
      if (outcome.kind === 'release') {
        log.warn('job.release', { ...ref, reason: outcome.reason });
        send({ type: 'release', ...ref, reason: outcome.reason });
        return;
      }
      const m = outcome.measurement;
      log.info('job.measured', { ...ref, status: m.status, medianMs: m.stats ? Number(m.stats.medianMs.toFixed(4)) : null, cv: m.stats ? Number(m.stats.cv.toFixed(4)) : null, runs: m.stats?.runs ?? 0, error: m.error });
      const entry: OutboxEntry = { ...ref, measurement: m, createdAt: Date.now() };
      try {
        await outbox.add(entry);
      } catch (error) {
        // Not durable (disk full?): send it anyway; if it is lost, the lease expires and the job is re-queued.
        log.error('outbox.save_failed', { ...ref, error: errorMessage(error) });
        if (sendResult(entry)) log.info('result.sent', { ...ref, status: m.status, durable: false });
        return;
      }
      for (const e of outbox.due(Date.now(), resendAfterMs)) {
        if (sendResult(e)) log.info('result.sent', { jobId: e.jobId, attempt: e.attempt, status: e.measurement.status });
      }
    } catch (error) {
      if (controller.signal.aborted && job.abortedBy === 'cancel') {
        log.info('job.cancelled', { ...ref });
      } else if (controller.signal.aborted) {
        const reason = `agent stopping: ${errorMessage(controller.signal.reason)}`;
        log.warn('job.release', { ...ref, reason });
        send({ type: 'release', ...ref, reason });
      } else {
        log.error('job.error', { ...ref, error: errorMessage(error) });
        send({ type: 'release', ...ref, reason: `agent error: ${errorMessage(error)}` });
      }
    } finally {
      active = null;
      const next = queued;
      queued = null;
      if (next) startJob(next);
      // Say at once that a cancelled job is gone: the coordinator waits for that to dispatch again.
      else if (job.abortedBy === 'cancel') heartbeat();
    }
  };

  const startJob = (frame: JobFrame) => {
    if (stopping) {
      send({ type: 'release', jobId: frame.jobId, attempt: frame.attempt, reason: 'agent is stopping' });
      return;
    }
    const job: ActiveJob = { frame, controller: new AbortController(), done: Promise.resolve(), abortedBy: null };
    active = job;
    job.done = execute(job);
  };

  const handlers = {
    welcome: (f) => {
      deviceId = f.deviceId;
      deviceName = f.deviceName;
      conn.welcomed(f.heartbeatMs);
      log.info('agent.welcome', { deviceId: f.deviceId, deviceName: f.deviceName, heartbeatMs: f.heartbeatMs, clockSkewMs: Date.now() - f.serverTime });
      heartbeat();
      resendDue(true);
    },
    job: (f) => {
      const ref = { jobId: f.jobId, attempt: f.attempt };
      if (active) {
        if (active.frame.jobId === f.jobId && active.frame.attempt === f.attempt) return log.debug('job.duplicate', ref);
        // A cancelled job winds down within one model run: the next job waits for it, once.
        if (active.abortedBy === 'cancel' && !queued) {
          queued = f;
          return;
        }
        log.warn('job.refused', { ...ref, reason: `busy with job ${active.frame.jobId}` });
        send({ type: 'release', ...ref, reason: `agent is busy with job ${active.frame.jobId}` });
        return;
      }
      const measured = outbox.get(f.jobId, f.attempt);
      if (measured) {
        log.info('job.already_measured', ref);
        sendResult(measured);
        return;
      }
      startJob(f);
    },
    cancel: (f) => {
      if (active && active.frame.jobId === f.jobId && active.frame.attempt === f.attempt) {
        log.info('job.cancel', { jobId: f.jobId, attempt: f.attempt, reason: f.reason });
        active.abortedBy = 'cancel';
        active.controller.abort(new AbortedError(`cancelled by the coordinator: ${f.reason}`));
      } else {
        log.debug('job.cancel_unknown', { jobId: f.jobId, attempt: f.attempt });
      }
    },
    ack: async (f) => {
      const known = await outbox.ack(f.jobId, f.attempt);
      log.info('result.acked', { jobId: f.jobId, attempt: f.attempt, stored: f.stored, known });
    },
    error: (f) => {
      if (f.code === 'rate_limited') {
        // Too many failed logins from this address (maybe another agent's): wait, do not give up.
        const seconds = Number(/retry in (\d+) s/.exec(f.message)?.[1] ?? NaN);
        const delayMs = Math.min(600_000, Math.max(1_000, Number.isFinite(seconds) ? seconds * 1000 : (opts.backoff ?? DEFAULT_BACKOFF).maxMs));
        log.warn('agent.rate_limited', { message: f.message, retryInMs: delayMs });
        conn.retryLater(f.message, delayMs);
      } else if (FATAL_ERROR_CODES.has(f.code)) {
        log.error('agent.refused', { code: f.code, message: f.message });
        conn.fatal(f.code, f.message);
      } else {
        log.warn('server.error', { code: f.code, message: f.message });
        // A frame the coordinator could not apply may have been a result: try again soon, not in resendAfterMs.
        if (f.code === 'internal' && outbox.size > 0 && !retryTimer && !stopping) {
          retryTimer = setTimeout(() => {
            retryTimer = null;
            resendDue(true);
          }, retryAfterErrorMs);
        }
      }
    },
  } satisfies ToAgentHandlers;

  const onFrame = (raw: string | Uint8Array) => {
    const decoded = decodeIncoming(raw);
    if (!decoded.ok) {
      log.warn('frame.bad', { code: decoded.code, error: decoded.error });
      send({ type: 'error', jobId: null, message: `${decoded.code}: ${decoded.error}` });
      return;
    }
    Promise.resolve()
      .then(() => dispatch(handlers, decoded.frame))
      .catch((error) => log.error('frame.handler_failed', { type: decoded.frame.type, error: errorMessage(error) }));
  };

  const conn: Connection = new Connection({
    url: agentSocketUrl(opts.server),
    openSocket: opts.platform.openSocket,
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    maxAttempts: opts.maxConnectAttempts ?? Infinity,
    log,
    hello: () =>
      encodeOutgoing({ type: 'hello', token: opts.token, kind: opts.backend.kind, agentVersion: opts.agentVersion ?? AGENT_VERSION, device, host: opts.host ?? null }),
    onFrame,
    onTick: () => {
      heartbeat();
      resendDue(false);
    },
    onReady: () => {},
    onDown: () => log.info('agent.offline', { busyJobId: active?.frame.jobId ?? null, outbox: outbox.size }),
  });

  /** Aborts and waits (bounded) for the running job, then closes the backend. */
  const shutdown = async (end: ConnectionEnd | null, options: StopOptions): Promise<AgentExit> => {
    stopping = true;
    if (retryTimer) clearTimeout(retryTimer);
    const job = active as ActiveJob | null;
    if (job) {
      const graceMs = options.graceMs ?? 5_000;
      if (!(await settlesWithin(job.done, graceMs))) {
        log.info('job.abort', { jobId: job.frame.jobId, reason: `still running after the ${graceMs} ms grace period` });
        job.abortedBy = 'stop';
        job.controller.abort(new AbortedError(options.reason ?? 'shutdown'));
        await settlesWithin(job.done, 30_000);
      }
    }
    // Give just-sent results a moment to be acknowledged; the rest stay in the outbox on disk.
    for (let i = 0; i < 20 && outbox.size > 0 && conn.ready; i++) await sleep(100);
    if (!end) conn.stop(options.reason ?? 'agent stopping');
    const connectionEnd = end ?? (await conn.ended);
    const closing = opts.backend.close().catch((error) => log.warn('backend.close_failed', { error: errorMessage(error) }));
    if (!(await settlesWithin(closing, 10_000))) log.warn('backend.close_timeout', { afterMs: 10_000 });
    const exit: AgentExit = { fatal: connectionEnd.fatal, code: connectionEnd.code, message: connectionEnd.message };
    log.info('agent.stopped', { code: exit.code, outbox: outbox.size });
    resolveFinished(exit);
    return exit;
  };

  void conn.ended.then((end) => {
    if (end.fatal && !ending) {
      active?.controller.abort(new AbortedError(end.message));
      ending = shutdown(end, { graceMs: 0, reason: end.message });
    }
  });

  log.info('agent.start', { kind: opts.backend.kind, server: opts.server, host: opts.host ?? null, runtime: `${device.runtime} ${device.runtimeVersion}` });
  conn.start();

  return {
    stop: (options = {}) => {
      ending ??= shutdown(null, options);
      return ending;
    },
    finished,
    status: () => ({
      connected: conn.ready,
      deviceId,
      deviceName,
      busyJobId: active?.frame.jobId ?? null,
      outbox: outbox.size,
      connects: conn.attempts,
    }),
  };
}
