import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenStore, enrollPhone } from '../../../agents/android/enroll';
import { AuthError, ValidationError } from '../../../core/errors';
import { describeEachDb } from '../../helpers/databases';
import { TestFarm } from '../../server/support/test-farm';

describe('phone token store', () => {
  it('keeps one token per coordinator, phone serial and kind, in a 0600 file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ofa-tokens-')), 'sub', 'phones.json');
    const store = new TokenStore(path);
    expect(store.get('http://a:1', 'S1', 'android')).toBeNull();
    store.set('http://a:1/', 'S1', 'android', { name: 'p-s1', token: 't1', deviceId: 'd1' });
    store.set('http://a:1', 'S1', 'browser', { name: 'p-s1-chrome', token: 't2', deviceId: null });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(new TokenStore(path).get('http://a:1/x', 'S1', 'android')).toEqual({ name: 'p-s1', token: 't1', deviceId: 'd1' });
    expect(store.get('http://b:1', 'S1', 'android')).toBeNull();
    store.delete('http://a:1', 'S1', 'android');
    expect(store.get('http://a:1', 'S1', 'android')).toBeNull();
    expect(store.get('http://a:1', 'S1', 'browser')?.token).toBe('t2');
    writeFileSync(path, '{"not": "ours"}');
    expect(() => store.get('http://a:1', 'S1', 'browser')).toThrow(ValidationError);
  });
});

describeEachDb('enrollment of phones at the coordinator', (getDb) => {
  let farm: TestFarm;
  beforeEach(async () => {
    farm = await TestFarm.start(getDb());
  });
  afterEach(async () => farm?.stop());

  const enrollToken = async (maxUses = 3) => (await farm.api('POST', '/api/enrollment-tokens', { label: 'phones', maxUses })).body.token as string;

  it('registers a phone with its own device token; a taken name gets a suffix; the token may only enroll', async () => {
    const token = await enrollToken();
    const first = await enrollPhone({ server: farm.url, enrollToken: token, name: 'pixel-7-abc', kind: 'android', host: null });
    expect(first.name).toBe('pixel-7-abc');
    expect(first.token).not.toBe(token);
    const second = await enrollPhone({ server: farm.url, enrollToken: token, name: 'pixel-7-abc', kind: 'android', host: null });
    expect(second.name).toBe('pixel-7-abc-2');
    const devices = (await farm.api('GET', '/api/devices')).body.devices.map((d: { name: string; kind: string }) => `${d.name}:${d.kind}`);
    expect(devices.sort()).toEqual(['pixel-7-abc-2:android', 'pixel-7-abc:android']);
    // An enrollment token is not an admin token.
    expect((await farm.api('POST', '/api/devices', { name: 'x', kind: 'android' }, token)).status).toBe(401);
    await expect(enrollPhone({ server: farm.url, enrollToken: 'ofa_enroll_wrong', name: 'p', kind: 'android', host: null })).rejects.toThrow(AuthError);
    await expect(enrollPhone({ server: farm.url, enrollToken: token, name: 'bad name with spaces and way too long '.repeat(5), kind: 'android', host: null })).rejects.toThrow(/refused to enroll/);
  });

  it('says clearly when the coordinator cannot be reached', async () => {
    await expect(enrollPhone({ server: 'http://127.0.0.1:9', enrollToken: 'x', name: 'p', kind: 'android', host: null, timeoutMs: 2_000 })).rejects.toThrow(/cannot reach the coordinator at http:\/\/127\.0\.0\.1:9\/api\/enroll/);
  });
});
