/** Reconnect delays: exponential, with jitter so a restarted coordinator is not hit by every agent at once. */

export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
  factor: number;
  /** 0..1: the share of each delay that is randomised (0.5 = between half and all of it). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/** Delay before retry number `attempt` (0-based): min(maxMs, initialMs * factor^attempt), jittered down. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(0, attempt), 60);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(ceiling * (1 - jitter * random()));
}
