/**
 * A protocol-level agent for server tests: a real WebSocket client that speaks the wire protocol
 * by hand, records every frame it receives, and answers jobs the way a test tells it to. It does
 * no measuring; what it reports is written by the test (and checked as stored data).
 */
import WebSocket from 'ws';
import { encodeFrame, type FromAgentInput, type JobFrame, type ToAgent, type Unversioned } from '../../../core/protocol';
import type { MeasurementInput } from '../../../core/measurement';

export type JobAnswer = 'result' | 'hold' | 'release' | 'fail';

export interface ProtocolAgentOptions {
  url: string;
  token: string;
  kind?: 'edge' | 'browser' | 'android';
  host?: string | null;
  /** Heartbeat interval; 0 = none (the test sends them). */
  heartbeatMs?: number;
  /** What to do with each job (default: answer a result at once). */
  onJob?: (job: JobFrame, agent: ProtocolAgent) => JobAnswer;
  /** Send no hello (to test the hello deadline). */
  skipHello?: boolean;
}

export function okMeasurement(medianMs = 2, now = Date.now()): MeasurementInput {
  return {
    status: 'ok',
    stats: { runs: 5, minMs: medianMs * 0.9, medianMs, meanMs: medianMs, p90Ms: medianMs * 1.1, maxMs: medianMs * 1.2, stdMs: medianMs * 0.05, cv: 0.05 },
    samplesMs: [medianMs * 0.9, medianMs, medianMs, medianMs * 1.1, medianMs * 1.2],
    provenance: {
      runtime: 'protocol-test',
      runtimeVersion: '0',
      executionProvider: 'none',
      threads: 1,
      inputShape: [1, 1, 16, 16],
      clockSource: 'Date.now',
      warmupRuns: 0,
      warmupMs: 0,
    },
    startedAt: now - 10,
    finishedAt: now,
  };
}

export class ProtocolAgent {
  readonly frames: ToAgent[] = [];
  readonly jobs: JobFrame[] = [];
  busy: JobFrame | null = null;
  closeCode: number | null = null;
  closeReason = '';
  private readonly ws: WebSocket;
  private timer: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(private readonly opts: ProtocolAgentOptions) {
    this.ws = new WebSocket(`${opts.url.replace(/^http/, 'ws')}/agent/ws`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        if (this.timer) clearInterval(this.timer);
        this.notify();
        resolve(code);
      }),
    );
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => this.onMessage(String(data)));
    this.ws.once('open', () => {
      if (!opts.skipHello) this.hello();
    });
  }

  hello(token = this.opts.token): void {
    this.send({
      type: 'hello',
      token,
      kind: this.opts.kind ?? 'edge',
      agentVersion: 'protocol-test',
      device: { runtime: 'protocol-test', runtimeVersion: '0', cpu: 'test cpu', cores: 1 },
      host: this.opts.host ?? null,
    });
  }

  send(frame: Unversioned<FromAgentInput>): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeFrame<FromAgentInput>(frame));
  }

  sendRaw(data: string | Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  heartbeat(): void {
    this.send({ type: 'heartbeat', busyJobId: this.busy?.jobId ?? null });
  }

  result(job: Pick<JobFrame, 'jobId' | 'attempt'>, measurement: MeasurementInput = okMeasurement()): void {
    this.send({ type: 'result', jobId: job.jobId, attempt: job.attempt, measurement });
    if (this.busy?.jobId === job.jobId) this.busy = null;
  }

  release(job: Pick<JobFrame, 'jobId' | 'attempt'>, reason = 'test release'): void {
    this.send({ type: 'release', jobId: job.jobId, attempt: job.attempt, reason });
    if (this.busy?.jobId === job.jobId) this.busy = null;
  }

  /** Frames of one type received so far. */
  of<T extends ToAgent['type']>(type: T): Extract<ToAgent, { type: T }>[] {
    return this.frames.filter((f): f is Extract<ToAgent, { type: T }> => f.type === type);
  }

  /** Waits until `predicate` holds (checked on every frame and close), or fails after `timeoutMs`. */
  async until(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  /** Cuts the TCP connection without a close frame (a crash or a network cut). */
  kill(): void {
    if (this.timer) clearInterval(this.timer);
    this.ws.terminate();
  }

  close(code = 1000): void {
    if (this.timer) clearInterval(this.timer);
    this.ws.close(code, 'test done');
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  private onMessage(text: string): void {
    const frame = JSON.parse(text) as ToAgent;
    this.frames.push(frame);
    if (frame.type === 'welcome') {
      this.heartbeat();
      if ((this.opts.heartbeatMs ?? 200) > 0) this.timer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs ?? 200);
    }
    if (frame.type === 'job') {
      this.jobs.push(frame);
      const answer = this.opts.onJob?.(frame, this) ?? 'result';
      if (answer === 'result') this.result(frame);
      else if (answer === 'release') this.release(frame);
      else if (answer === 'fail') this.result(frame, { status: 'failed', error: 'test failure', stats: null, provenance: null, startedAt: Date.now(), finishedAt: Date.now() });
      else this.busy = frame;
    }
    if (frame.type === 'cancel' && this.busy?.jobId === frame.jobId) this.busy = null;
    this.notify();
  }
}
