/**
 * A bound on failed authentications per client address (HTTP and WebSocket alike): after
 * `maxFailures` within `windowMs`, further attempts from that address are refused until the window
 * passes. Memory is bounded: at most `maxClients` addresses are tracked, oldest dropped first.
 */
import { RateLimitError } from '../../core/errors';

export interface AuthLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  maxClients?: number;
  now?: () => number;
}

export class AuthLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(opts: AuthLimiterOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 30;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxClients = opts.maxClients ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Throws RateLimitError when `client` failed too often recently. */
  check(client: string): void {
    const entry = this.failures.get(client);
    if (!entry) return;
    if (this.now() - entry.since > this.windowMs) {
      this.failures.delete(client);
      return;
    }
    if (entry.count >= this.maxFailures) {
      const waitS = Math.ceil((entry.since + this.windowMs - this.now()) / 1000);
      throw new RateLimitError(`too many failed authentications from this address; retry in ${waitS} s`);
    }
  }

  fail(client: string): void {
    const now = this.now();
    const entry = this.failures.get(client);
    if (entry && now - entry.since <= this.windowMs) {
      entry.count++;
      return;
    }
    this.failures.delete(client);
    if (this.failures.size >= this.maxClients) {
      const oldest = this.failures.keys().next();
      if (!oldest.done) this.failures.delete(oldest.value);
    }
    this.failures.set(client, { count: 1, since: now });
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }
}
