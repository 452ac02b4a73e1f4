import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { formatDuration, parseDuration, parseStartTime } from '../../cli/time-format';

describe('durations and start times', () => {
  it('parses durations and names the option on bad input', () => {
    expect(parseDuration('24h', '--every')).toBe(86_400_000);
    expect(parseDuration('90s', '--every')).toBe(90_000);
    expect(parseDuration('1.5m', '--every')).toBe(90_000);
    expect(() => parseDuration('daily', '--every')).toThrow(/--every must be a duration/);
    expect(() => parseDuration('0s', '--every')).toThrow(ValidationError);
  });

  it('parses +DURATION and ISO 8601 start times', () => {
    expect(parseStartTime('+10m', '--at', 1000)).toBe(601_000);
    expect(parseStartTime('2030-01-31T06:00:00Z', '--at')).toBe(Date.UTC(2030, 0, 31, 6));
    expect(() => parseStartTime('tomorrow', '--at')).toThrow(/--at must be/);
  });

  it('formats durations compactly', () => {
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(1500)).toBe('1.5s');
  });
});
