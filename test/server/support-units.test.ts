import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RateLimitError, ValidationError } from '../../core/errors';
import { ByteLru } from '../../server/artifacts/byte-lru';
import { ensureAdminToken, readAdminToken } from '../../server/home';
import { AuthLimiter } from '../../server/registry/auth-limiter';

describe('admin token', () => {
  it('is generated once, stored with mode 0600, and read back', () => {
    const home = mkdtempSync(join(tmpdir(), 'ofa-home-'));
    expect(readAdminToken(home)).toBeUndefined();
    const first = ensureAdminToken(home);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^ofaa_[A-Za-z0-9_-]{43}$/);
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.path!, 'utf8').trim()).toBe(first.token);
    const second = ensureAdminToken(home);
    expect(second).toMatchObject({ token: first.token, created: false });
    expect(ensureAdminToken(home, 'given-token-of-enough-length')).toMatchObject({ token: 'given-token-of-enough-length', created: false, path: null });
    expect(() => ensureAdminToken(home, 'short')).toThrow(ValidationError);
  });
});

describe('failed-authentication limiter', () => {
  it('refuses an address after too many failures, until the window passes', () => {
    let now = 0;
    const limiter = new AuthLimiter({ maxFailures: 3, windowMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) {
      limiter.check('a');
      limiter.fail('a');
    }
    expect(() => limiter.check('a')).toThrow(RateLimitError);
    limiter.check('b');
    now = 1500;
    limiter.check('a');
  });

  it('forgets failures after a success and bounds how many addresses it tracks', () => {
    const limiter = new AuthLimiter({ maxFailures: 2, maxClients: 2 });
    limiter.fail('a');
    limiter.succeed('a');
    limiter.fail('a');
    limiter.check('a');
    limiter.fail('b');
    limiter.fail('b');
    limiter.fail('c');
    limiter.fail('d');
    limiter.check('b'); // dropped as the oldest once c and d came
  });
});

describe('byte LRU', () => {
  it('keeps at most its byte budget, dropping the least recently used', () => {
    const lru = new ByteLru(10);
    lru.set('a', new Uint8Array(4));
    lru.set('b', new Uint8Array(4));
    lru.get('a');
    lru.set('c', new Uint8Array(4));
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBeDefined();
    expect(lru.get('c')).toBeDefined();
    expect(lru.size).toBe(8);
    lru.set('huge', new Uint8Array(11));
    expect(lru.get('huge')).toBeUndefined();
  });
});
