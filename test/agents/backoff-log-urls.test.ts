import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../../agents/runtime/backoff';
import { createLogger } from '../../agents/runtime/log';
import { agentSocketUrl, ModelFetchError, modelUrl } from '../../agents/runtime/platform';

describe('backoffDelay', () => {
  it('grows exponentially, never past maxMs, jittered down by at most the jitter share', () => {
    const policy = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.5 };
    expect([0, 1, 2, 3, 10, 1000].map((a) => backoffDelay(policy, a, () => 0))).toEqual([100, 200, 400, 800, 5000, 5000]);
    expect(backoffDelay(policy, 3, () => 0.999999)).toBe(400);
    for (let attempt = 0; attempt < 20; attempt++) {
      const d = backoffDelay(DEFAULT_BACKOFF, attempt);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
    }
  });
});

describe('createLogger', () => {
  it('writes one line per event and never the secrets', () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l), { secrets: ['s3cr3t-token'], fields: { agent: 'edge' }, now: () => new Date(0) });
    log.info('job.start', { jobId: 'j 1', note: 'token was s3cr3t-token\nsecond line', n: 3, skipped: undefined });
    log.debug('hidden');
    expect(lines).toEqual(['1970-01-01T00:00:00.000Z info job.start agent=edge jobId="j 1" note="token was [redacted]\\nsecond line" n=3\n']);
  });
});

describe('coordinator URLs', () => {
  it('derives the agent socket URL from the server URL', () => {
    expect(agentSocketUrl('http://127.0.0.1:7070')).toBe('ws://127.0.0.1:7070/agent/ws');
    expect(agentSocketUrl('https://farm.example/prefix/')).toBe('wss://farm.example/prefix/agent/ws');
    expect(() => agentSocketUrl('ftp://x')).toThrow(/http:\/\/ or https:\/\//);
  });

  it('resolves model paths on the coordinator only', () => {
    expect(modelUrl('http://127.0.0.1:7070', '/artifacts/abc').href).toBe('http://127.0.0.1:7070/artifacts/abc');
    expect(() => modelUrl('http://127.0.0.1:7070', 'http://evil.example/x')).toThrow(ModelFetchError);
    expect(() => modelUrl('http://127.0.0.1:7070', '//evil.example/x')).toThrow(/refusing to send the token/);
  });
});
