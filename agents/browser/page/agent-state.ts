/**
 * What the agent page knows about itself, for the people looking at it and for a launcher
 * polling it: connection state, the current job and its phase, the last result. It is fed by the
 * runtime's log events (a Logger that also writes the lines) and by the backend's progress.
 */
import type { Measurement } from '../../../core/measurement';
import type { AgentExit, AgentStatus } from '../../runtime/agent';
import type { BackendJob, DeviceBackend } from '../../runtime/backend';
import { createLogger, type LogFields, type Logger, type LogLevel } from '../../runtime/log';
import type { PageStatus } from '../parse';

export interface JobView {
  jobId: string;
  attempt: number;
  label: string;
  phase: string;
  done: number;
  total: number;
}

export interface ResultView {
  label: string;
  status: string;
  medianMs: number | null;
  cv: number | null;
  runs: number;
  error: string | null;
  at: number;
}

const MAX_LINES = 200;

export class AgentState {
  state: PageStatus['state'] = 'starting';
  message: string | null = null;
  deviceName: string | null = null;
  job: JobView | null = null;
  lastResult: ResultView | null = null;
  measured = 0;
  outbox = 0;
  lastActivityAt = Date.now();
  readonly lines: string[] = [];
  private readonly listeners = new Set<() => void>();

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  changed(): void {
    for (const l of this.listeners) l();
  }

  activity(): void {
    this.lastActivityAt = Date.now();
  }

  /** The runtime's own view, polled: the source of truth for connected and busy. */
  sync(status: AgentStatus): void {
    this.outbox = status.outbox;
    if (this.state === 'connecting' || this.state === 'connected') this.state = status.connected ? 'connected' : 'connecting';
    if (status.deviceName) this.deviceName = status.deviceName;
    if (!status.busyJobId && this.job) this.job = null;
    this.changed();
  }

  ended(exit: AgentExit): void {
    if (exit.code === 'stopped') {
      this.state = 'stopped';
      this.message = null;
    } else {
      this.state = exit.code === 'auth_failed' || exit.code === 'bad_version' ? 'refused' : 'failed';
      this.message = refusalText(exit.code, exit.message);
    }
    this.job = null;
    this.changed();
  }

  fail(message: string): void {
    this.state = 'failed';
    this.message = message;
    this.changed();
  }

  status(): PageStatus {
    return {
      state: this.state,
      message: this.message,
      deviceName: this.deviceName,
      busyJobId: this.job?.jobId ?? null,
      jobLabel: this.job?.label ?? null,
      phase: this.job?.phase ?? null,
      jobIdleMs: this.job ? Date.now() - this.lastActivityAt : null,
      jobsMeasured: this.measured,
      outbox: this.outbox,
    };
  }

  /** Runtime log events that change what the page shows. */
  event(event: string, fields: LogFields): void {
    const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : null);
    const num = (key: string) => (typeof fields[key] === 'number' ? (fields[key] as number) : null);
    if (event === 'agent.start' || event === 'ws.disconnected' || event === 'agent.offline') {
      if (this.state !== 'refused' && this.state !== 'stopped') this.state = 'connecting';
    } else if (event === 'agent.welcome') {
      this.state = 'connected';
      this.deviceName = text('deviceName');
    } else if (event === 'job.start') {
      this.job = { jobId: text('jobId') ?? '?', attempt: num('attempt') ?? 1, label: text('label') ?? '', phase: 'download', done: 0, total: 0 };
      this.activity();
    } else if (event === 'job.measured') {
      this.measured++;
      this.lastResult = { label: this.job?.label ?? '', status: text('status') ?? '?', medianMs: num('medianMs'), cv: num('cv'), runs: num('runs') ?? 0, error: text('error'), at: Date.now() };
      this.job = null;
    } else if (event === 'job.release' || event === 'job.cancelled' || event === 'job.error') {
      this.lastResult = { label: this.job?.label ?? text('jobId') ?? '', status: event.slice(4), medianMs: null, cv: null, runs: 0, error: text('reason') ?? text('error'), at: Date.now() };
      this.job = null;
    } else if (event === 'agent.refused') {
      this.state = 'refused';
      this.message = refusalText(text('code') ?? 'refused', text('message') ?? '');
    }
    this.changed();
  }

  phase(phase: string, done = 0, total = 0): void {
    if (!this.job) return;
    this.job.phase = phase;
    this.job.done = done;
    this.job.total = total;
    this.activity();
    this.changed();
  }

  line(text: string): void {
    this.lines.push(text.trimEnd());
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }
}

export function refusalText(code: string, message: string): string {
  if (code === 'auth_failed') {
    return `The coordinator refused this page's device token: ${message || 'authentication failed'}. Open the URL that \`ofa-farm device add --kind browser\` printed, or enter the device token below.`;
  }
  if (code === 'bad_version') return `The coordinator does not speak this page's protocol version: ${message}. Reload the page from the coordinator.`;
  if (code === 'replaced') return 'Another page or agent with this device token connected and took over; this page stopped.';
  return `The agent ended (${code}): ${message}`;
}

/** A Logger that feeds `state` and writes the usual one-line records (token redacted) to `write`. */
export function stateLogger(state: AgentState, write: (line: string) => void, options: { secrets: string[]; level?: LogLevel }): Logger {
  const lines = createLogger(
    (line) => {
      state.line(line);
      write(line);
    },
    { secrets: options.secrets, level: options.level ?? 'info', fields: { agent: 'browser' } },
  );
  const wrap =
    (level: LogLevel) =>
    (event: string, fields: LogFields = {}) => {
      state.event(event, fields);
      lines[level](event, fields);
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/** The backend with its phases reported to `state`. */
export function trackedBackend(inner: DeviceBackend, state: AgentState): DeviceBackend {
  return {
    kind: inner.kind,
    describe: () => inner.describe(),
    async prepare(job: BackendJob, signal: AbortSignal) {
      state.phase('loading model');
      await inner.prepare(job, signal);
    },
    async measure(job: BackendJob, signal: AbortSignal, progress): Promise<Measurement> {
      state.phase('warm-up');
      return inner.measure(job, signal, (phase, done, total) => {
        state.phase(phase === 'warmup' ? 'warm-up' : 'measuring', done, total);
        progress?.(phase, done, total);
      });
    },
    close: () => inner.close(),
  };
}
