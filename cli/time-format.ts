/** Durations and times on the command line: "90s", "10m", "24h", "7d"; "+10m" or ISO 8601 for a start. */
import { ValidationError } from '../core/errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw new ValidationError(`${option} must be a duration such as 30s, 10m, 24h or 7d, got "${value}"`);
  const ms = Math.round(Number(m[1]) * UNITS[m[2]]);
  if (ms < 1 || !Number.isSafeInteger(ms)) throw new ValidationError(`${option} is out of range: "${value}"`);
  return ms;
}

/** "+10m" (from now) or an ISO 8601 time; returns epoch ms. */
export function parseStartTime(value: string, option: string, now = Date.now()): number {
  const trimmed = value.trim();
  if (trimmed.startsWith('+')) return now + parseDuration(trimmed.slice(1), option);
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) throw new ValidationError(`${option} must be an ISO 8601 time (2025-01-31T06:00:00Z) or +DURATION (+10m), got "${value}"`);
  const t = Date.parse(trimmed);
  if (Number.isNaN(t)) throw new ValidationError(`${option} "${value}" is not a valid time`);
  return t;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${ms}ms`;
}

/** "12s ago", "3m ago", "in 2h". */
export function ago(iso: string, now = Date.now()): string {
  const delta = now - Date.parse(iso);
  const abs = Math.abs(delta);
  const text = abs < 60_000 ? `${Math.round(abs / 1000)}s` : abs < 3_600_000 ? `${Math.round(abs / 60_000)}m` : abs < 86_400_000 ? `${Math.round(abs / 3_600_000)}h` : `${Math.round(abs / 86_400_000)}d`;
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}
