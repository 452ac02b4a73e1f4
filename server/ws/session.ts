/**
 * One agent's WebSocket, from the wire's side: decodes every frame (never throws), enforces the
 * hello deadline, runs frames one at a time in arrival order through the typed handler map, and
 * implements `AgentLink` so that domain objects can hand the agent a job or a cancel without
 * knowing about frames or sockets.
 */
import type { WebSocket } from 'ws';
import { FarmError } from '../../core/errors';
import { mapDbError } from '../../db/errors';
import { decodeFromAgent, encodeFrame, type FromAgent, type ToAgentInput, type Unversioned } from '../../core/protocol';
import type { AgentLink, JobAssignment, JobRef } from '../scheduler/agent-link';
import { shortError } from '../scheduler/dispatcher';

/** WebSocket close codes the coordinator uses (4000-4999 are the application's). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  authFailed: 4001,
  badVersion: 4002,
  /** No valid hello in time, or another frame before hello. */
  noHello: 4003,
  /** A newer connection of the same device took over, or the device was removed. */
  replaced: 4004,
  /** The agent went silent (no frame for longer than the offline timeout). */
  silent: 4005,
} as const;

/** Frames waiting to be handled before the session refuses more (a bound on memory). */
const MAX_PENDING_FRAMES = 64;
/** Progress frames are dropped (silently) once this many frames wait. */
const DROP_PROGRESS_AT = 4;
/** Unexpected failures (a database outage fails every heartbeat) are logged at most this often per agent. */
const FAILURE_LOG_EVERY_MS = 5000;

const CODES: Record<string, string> = {
  AuthError: 'auth_failed',
  ForbiddenError: 'forbidden',
  NotFoundError: 'not_found',
  ValidationError: 'bad_frame',
  ConflictError: 'conflict',
  RateLimitError: 'rate_limited',
};

/** The `error` frame code for an error a handler threw. */
export function errorCode(error: unknown): string {
  return error instanceof FarmError ? (CODES[error.name] ?? 'failed') : 'internal';
}

export interface SessionHandlers {
  /** Runs one decoded frame. Throwing a FarmError answers an `error` frame with its message. */
  handle(session: AgentSession, frame: FromAgent): Promise<void>;
  /** The socket closed (for any reason). */
  closed(session: AgentSession, code: number, reason: string): void | Promise<void>;
}

export interface SessionOptions {
  helloTimeoutMs: number;
  /** Close the socket when no frame arrived for this long. */
  silentTimeoutMs: number;
  log: (line: string) => void;
}

export interface AuthenticatedDevice {
  id: string;
  name: string;
}

export class AgentSession implements AgentLink {
  private device: AuthenticatedDevice | null = null;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private helloTimer: NodeJS.Timeout | null;
  private silentTimer: NodeJS.Timeout | null = null;
  private closedFlag = false;
  /** The job this connection is measuring, as far as the coordinator knows. */
  current: JobRef | null = null;
  /** False until the agent's first heartbeat says what it is doing (after a reconnect). */
  confirmed = false;
  private lastFailureLog = 0;
  private failuresNotLogged = 0;
  /** When a progress frame last reached the database (they are throttled). */
  lastProgressWrite = 0;
  readonly connectedAt = Date.now();

  constructor(
    private readonly socket: WebSocket,
    readonly remote: string,
    private readonly handlers: SessionHandlers,
    private readonly opts: SessionOptions,
  ) {
    this.helloTimer = setTimeout(() => {
      this.sendError('hello_timeout', `no valid hello within ${opts.helloTimeoutMs} ms`);
      this.close(CLOSE.noHello, 'hello timeout');
    }, opts.helloTimeoutMs);
    this.helloTimer.unref();
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer | ArrayBuffer | Buffer[], isBinary));
    socket.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    socket.on('error', (error) => opts.log(`agent socket from ${remote}: ${error.message}`));
    this.armSilentTimer();
  }

  get authenticated(): boolean {
    return this.device !== null;
  }

  get deviceId(): string {
    if (!this.device) throw new Error('session is not authenticated');
    return this.device.id;
  }

  get deviceName(): string {
    return this.device?.name ?? '(unauthenticated)';
  }

  get isOpen(): boolean {
    return !this.closedFlag && this.socket.readyState === this.socket.OPEN;
  }

  /** Called by the hello handler once the token checked out. */
  authenticate(device: AuthenticatedDevice): void {
    this.device = device;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
  }

  send(frame: Unversioned<ToAgentInput>): boolean {
    if (!this.isOpen) return false;
    this.socket.send(encodeFrame<ToAgentInput>(frame));
    return true;
  }

  sendError(code: string, message: string): void {
    this.send({ type: 'error', code, message: message.slice(0, 4000) });
  }

  sendJob(job: JobAssignment): boolean {
    return this.send({ type: 'job', ...job });
  }

  sendCancel(ref: JobRef, reason: string): boolean {
    return this.send({ type: 'cancel', jobId: ref.jobId, attempt: ref.attempt, reason: reason.slice(0, 2000) });
  }

  close(code: number, reason: string): void {
    if (this.closedFlag) return;
    try {
      this.socket.close(code, reason.slice(0, 120));
    } catch {
      this.socket.terminate();
    }
    // A peer that never answers the close handshake is cut after a grace period.
    setTimeout(() => this.socket.terminate(), 2000).unref();
  }

  private armSilentTimer(): void {
    if (this.silentTimer) clearTimeout(this.silentTimer);
    this.silentTimer = setTimeout(() => {
      this.opts.log(`agent ${this.deviceName} (${this.remote}) silent for ${this.opts.silentTimeoutMs} ms: closing`);
      this.close(CLOSE.silent, 'no frames');
    }, this.opts.silentTimeoutMs);
    this.silentTimer.unref();
  }

  private onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.closedFlag) return;
    this.armSilentTimer();
    const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const decoded = decodeFromAgent(isBinary ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw.toString('utf8'));
    if (!decoded.ok) {
      this.sendError(decoded.code, decoded.error);
      if (decoded.code === 'bad_version') this.close(CLOSE.badVersion, 'unsupported protocol version');
      else if (!this.authenticated) this.close(CLOSE.noHello, 'invalid frame before hello');
      return;
    }
    const frame = decoded.frame;
    if (!this.authenticated && frame.type !== 'hello') {
      this.sendError('hello_first', `the first frame must be "hello", got "${frame.type}"`);
      this.close(CLOSE.noHello, 'hello first');
      return;
    }
    // Progress is advisory: under load it is dropped quietly rather than queued.
    if (frame.type === 'progress' && this.pending >= DROP_PROGRESS_AT) return;
    if (this.pending >= MAX_PENDING_FRAMES) {
      this.sendError('too_many_frames', `more than ${MAX_PENDING_FRAMES} frames waiting; "${frame.type}" dropped`);
      return;
    }
    this.pending++;
    this.chain = this.chain.then(async () => {
      try {
        if (!this.closedFlag || frame.type === 'result' || frame.type === 'release') await this.handlers.handle(this, frame);
      } catch (caught) {
        // A value the database cannot hold (a NUL character, an out-of-range number) is bad input.
        const error = mapDbError(caught, `the "${frame.type}" frame`);
        const code = errorCode(error);
        if (!(error instanceof FarmError)) this.logFailure(frame.type, error);
        this.sendError(code, error instanceof FarmError ? error.message : `the coordinator could not handle "${frame.type}"; it was not applied`);
        if (frame.type === 'hello' && !this.authenticated) this.close(CLOSE.noHello, 'hello refused');
      } finally {
        this.pending--;
      }
    });
  }

  /** Logs an unexpected failure: its first line and where it came from, at most every few seconds per agent. */
  private logFailure(type: string, error: unknown): void {
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_EVERY_MS) {
      this.failuresNotLogged++;
      return;
    }
    const more = this.failuresNotLogged > 0 ? ` (${this.failuresNotLogged} more failures since the last one logged)` : '';
    this.lastFailureLog = now;
    this.failuresNotLogged = 0;
    const frames = error instanceof Error ? (error.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).slice(0, 4).join('\n') : '';
    this.opts.log(`agent ${this.deviceName}: "${type}" failed: ${shortError(error)}${more}${frames ? `\n${frames}` : ''}`);
  }

  private onClose(code: number, reason: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    if (this.silentTimer) clearTimeout(this.silentTimer);
    // Frames already received are still handled (a result sent just before closing counts).
    this.chain = this.chain.then(() => this.handlers.closed(this, code, reason));
  }

  /** Resolves when every received frame has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }
}
