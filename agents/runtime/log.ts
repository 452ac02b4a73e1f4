/**
 * One line per event: `<iso time> <level> <event> key=value ...`. Secrets handed to the logger
 * (the device token) are replaced wherever they would appear, whoever wrote the text.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  return /^[\w.:/@+-]+$/.test(value) && value.length > 0 ? value : JSON.stringify(value);
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Strings that must never be written (tokens). */
  secrets?: readonly string[];
  /** Added to every line, e.g. {agent: 'edge'}. */
  fields?: LogFields;
  now?: () => Date;
}

export function createLogger(write: (line: string) => void, options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (ORDER[level] < min) return;
    const parts = [now().toISOString(), level, event];
    for (const [key, value] of Object.entries({ ...options.fields, ...fields })) {
      if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
    }
    let line = parts.join(' ').replace(/[\r\n]+/g, ' ');
    for (const secret of secrets) line = line.split(secret).join('[redacted]');
    write(`${line}\n`);
  };
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
