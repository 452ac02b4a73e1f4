import { afterEach, describe, expect, it } from 'vitest';
import { QUICK_SETTINGS } from '../conformance/device-backend.case';
import { garbageModel, tinyModel } from '../conformance/test-models';
import { ProtocolPeer } from './helpers/protocol-peer';
import { startTestAgent, type TestAgent } from './helpers/test-agent';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('agent runtime failures', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  async function setup(opts: Parameters<typeof startTestAgent>[1] = {}): Promise<{ peer: ProtocolPeer; t: TestAgent }> {
    const peer = await ProtocolPeer.start({ heartbeatMs: 100 });
    cleanup.push(() => peer.close());
    const t = await startTestAgent(peer, opts);
    cleanup.push(() => t.agent.stop({ graceMs: 0 }));
    return { peer, t };
  }

  it('reports a download whose bytes do not match the sha256 as a failed measurement, after retrying', async () => {
    const { peer } = await setup();
    const model = peer.addModel(tinyModel().bytes, garbageModel());
    peer.sendJob(model, 'tampered', QUICK_SETTINGS);
    const m = await peer.waitFor('result', () => peer.stored.get('tampered@1'));
    expect(m.status).toBe('failed');
    expect(m.error).toMatch(/model download failed: sha256 mismatch: expected [0-9a-f]{64}.*\(after 2 attempts\)/);
    expect(peer.downloads.map((d) => d.status)).toEqual([200, 200]);
  });

  it('reports a model the coordinator does not have (HTTP 404) as a failed measurement at once', async () => {
    const { peer } = await setup();
    peer.sendJob({ sha256: 'a'.repeat(64), url: `/artifacts/${'a'.repeat(64)}`, bytes: 100 }, 'missing', QUICK_SETTINGS);
    const m = await peer.waitFor('result', () => peer.stored.get('missing@1'));
    expect(m.error).toMatch(/model download failed: GET \/artifacts\/a+ answered HTTP 404/);
    expect(peer.downloads).toHaveLength(1);
  });

  it('never sends the token to another origin', async () => {
    const { peer } = await setup();
    peer.sendJob({ sha256: 'b'.repeat(64), url: 'http://example.invalid/steal', bytes: 100 }, 'elsewhere', QUICK_SETTINGS);
    const m = await peer.waitFor('result', () => peer.stored.get('elsewhere@1'));
    expect(m.error).toMatch(/not on the coordinator .*refusing to send the token/);
  });

  it('treats an auth failure as fatal: a clear exit, no reconnect loop', async () => {
    const peer = await ProtocolPeer.start();
    cleanup.push(() => peer.close());
    const t = await startTestAgent(peer, { token: 'wrong-token-value', awaitWelcome: false });
    const exit = await t.agent.finished;
    expect(exit).toEqual({ fatal: true, code: 'auth_failed', message: 'unknown device token' });
    await sleep(600);
    expect(peer.connections).toBe(1);
    expect(t.logs.join('')).not.toContain('wrong-token-value');
  });

  it('waits out a rate limit instead of giving up', async () => {
    const peer = await ProtocolPeer.start();
    cleanup.push(() => peer.close());
    peer.rateLimitNext = 1;
    const started = Date.now();
    const t = await startTestAgent(peer);
    cleanup.push(() => t.agent.stop({ graceMs: 0 }));
    expect(peer.connections).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(t.logs.join('')).toMatch(/agent.rate_limited .*retryInMs=1000/);
  });

  it('reconnects with backoff when the link drops and when the peer restarts on the same port', async () => {
    const { peer, t } = await setup();
    await peer.waitFor('welcome', () => t.agent.status().connected);
    peer.dropConnection();
    await peer.waitFor('second hello', () => peer.frames('hello').length >= 2);
    await peer.close();
    await sleep(300);
    expect(t.agent.status().connected).toBe(false);
    const again = await ProtocolPeer.start({ port: peer.port, heartbeatMs: 100 });
    cleanup.push(() => again.close());
    await again.waitFor('hello on the restarted peer', () => again.frames('hello').length === 1);
    await again.waitFor('connected', () => t.agent.status().connected);
    const delays = [...t.logs.join('').matchAll(/ws.disconnected .*retryInMs=(\d+) attempt=(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(delays.length).toBeGreaterThanOrEqual(2);
    for (const [delay, attempt] of delays) expect(delay).toBeLessThanOrEqual(Math.min(400, 50 * 2 ** (attempt - 1)));
    const model = again.addModel(tinyModel().bytes);
    again.sendJob(model, 'after-restart', QUICK_SETTINGS);
    expect((await again.waitFor('result', () => again.stored.get('after-restart@1'))).status).not.toBe('failed');
  });
});
