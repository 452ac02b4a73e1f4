/**
 * One agent's link to the coordinator: open the socket, say hello, wait (bounded) for the
 * session to accept a welcome, tick heartbeats, and reconnect with backoff when the link drops.
 * Auth and version refusals end it for good. It knows frames only as text; the session decodes.
 */
import { backoffDelay, type BackoffPolicy } from './backoff';
import type { Logger } from './log';
import type { SocketFactory, SocketLike } from './platform';

/**
 * Close codes the coordinator uses for refusals that a retry cannot fix. 4004 on the current
 * socket means another connection with this device token took over (a stale socket of ours is
 * never current): two agents sharing a token would otherwise replace each other forever.
 */
export const FATAL_CLOSE_CODES: Record<number, string> = { 4001: 'auth_failed', 4002: 'bad_version', 4004: 'replaced' };

export interface ConnectionEnd {
  fatal: boolean;
  /** stopped | auth_failed | bad_version | unreachable */
  code: string;
  message: string;
}

export interface ConnectionOptions {
  url: string;
  openSocket: SocketFactory;
  backoff: BackoffPolicy;
  /** Deadline from opening the socket to the welcome. */
  connectTimeoutMs: number;
  /** Consecutive failed connects before giving up (Infinity: until stopped). */
  maxAttempts: number;
  log: Logger;
  /** The hello frame, sent as soon as the socket opens. */
  hello(): string;
  onFrame(raw: string | Uint8Array): void;
  /** Every heartbeat interval while welcomed. */
  onTick(): void;
  onReady(): void;
  onDown(): void;
  random?: () => number;
}

type State = 'idle' | 'connecting' | 'ready' | 'waiting' | 'ended';

export class Connection {
  private state: State = 'idle';
  private socket: SocketLike | null = null;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private resolveEnded!: (end: ConnectionEnd) => void;
  /** Resolves once, when the connection is stopped or refused for good. */
  readonly ended: Promise<ConnectionEnd>;
  /** Sockets opened so far (tests, logs). */
  attempts = 0;

  constructor(private readonly opts: ConnectionOptions) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  start(): void {
    if (this.state === 'idle') this.connect();
  }

  /** Sends when welcomed; false (nothing sent) otherwise. */
  send(text: string): boolean {
    if (this.state !== 'ready' || !this.socket) return false;
    try {
      this.socket.send(text);
      return true;
    } catch (error) {
      this.opts.log.warn('ws.send_failed', { error: (error as Error).message });
      return false;
    }
  }

  /** The session accepted a welcome: heartbeats start, backoff resets. */
  welcomed(heartbeatMs: number): void {
    if (this.state !== 'connecting') return;
    this.clearTimer();
    this.state = 'ready';
    this.failures = 0;
    this.heartbeat = setInterval(() => this.opts.onTick(), Math.max(100, heartbeatMs));
    this.opts.onReady();
  }

  /** Ends the connection for good with a refusal (auth, version). */
  fatal(code: string, message: string): void {
    this.finish({ fatal: true, code, message }, 1000, code);
  }

  /**
   * A refusal that time fixes (rate limited): drop this socket (its refusal close is then
   * ignored) and reconnect after at least `delayMs`.
   */
  retryLater(reason: string, delayMs: number): void {
    if (this.state === 'ended') return;
    this.dropSocket(1000, reason, true);
    this.lost(-2, reason, delayMs);
  }

  /** Closes politely and stops reconnecting. */
  stop(message = 'agent stopping'): void {
    this.finish({ fatal: false, code: 'stopped', message }, 1000, message);
  }

  private connect(): void {
    this.state = 'connecting';
    this.attempts++;
    const { log } = this.opts;
    let socket: SocketLike | null = null;
    const current = () => socket !== null && this.socket === socket;
    try {
      socket = this.opts.openSocket(this.opts.url, {
        open: () => {
          if (!current()) return;
          log.debug('ws.open', { url: this.opts.url });
          try {
            socket?.send(this.opts.hello());
          } catch (error) {
            log.warn('ws.send_failed', { error: (error as Error).message });
          }
        },
        message: (data) => {
          if (current()) this.opts.onFrame(data);
        },
        close: (code, reason) => {
          if (current()) this.lost(code, reason);
        },
        error: (error) => {
          if (current()) log.warn('ws.error', { error: error.message });
        },
      });
      this.socket = socket;
    } catch (error) {
      this.socket = null;
      this.lost(-1, (error as Error).message);
      return;
    }
    this.timer = setTimeout(() => {
      log.warn('ws.connect_timeout', { afterMs: this.opts.connectTimeoutMs });
      this.dropSocket(4000, 'no welcome in time');
      this.lost(-1, 'no welcome in time');
    }, this.opts.connectTimeoutMs);
  }

  private lost(code: number, reason: string, minDelayMs = 0): void {
    if (this.state === 'ended') return;
    const wasReady = this.state === 'ready';
    this.clearTimer();
    this.stopHeartbeat();
    this.socket = null;
    const fatalCode = FATAL_CLOSE_CODES[code];
    if (fatalCode) {
      this.finish({ fatal: true, code: fatalCode, message: reason || `the coordinator closed the connection (${code} ${fatalCode})` });
      return;
    }
    if (wasReady) {
      this.failures = 0;
      this.opts.onDown();
    }
    this.failures++;
    if (this.failures > this.opts.maxAttempts) {
      this.finish({ fatal: true, code: 'unreachable', message: `gave up after ${this.opts.maxAttempts} failed connection attempts (last: ${code} ${reason})` });
      return;
    }
    const delay = Math.max(minDelayMs, backoffDelay(this.opts.backoff, this.failures - 1, this.opts.random));
    this.opts.log.info('ws.disconnected', { code, reason: reason || null, retryInMs: delay, attempt: this.failures });
    this.state = 'waiting';
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private finish(end: ConnectionEnd, closeCode?: number, closeReason?: string): void {
    if (this.state === 'ended') return;
    const wasReady = this.state === 'ready';
    this.state = 'ended';
    this.clearTimer();
    this.stopHeartbeat();
    if (closeCode !== undefined) this.dropSocket(closeCode, closeReason ?? '', true);
    this.socket = null;
    if (wasReady) this.opts.onDown();
    this.resolveEnded(end);
  }

  private dropSocket(code: number, reason: string, polite = false): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    try {
      if (!polite && socket.terminate) socket.terminate();
      else socket.close(code, reason.slice(0, 120));
    } catch {
      // already closed
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
