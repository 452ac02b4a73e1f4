import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QUICK_SETTINGS } from '../conformance/device-backend.case';
import { tinyModel } from '../conformance/test-models';
import { ProtocolPeer } from './helpers/protocol-peer';
import { startTestAgent, tempDir } from './helpers/test-agent';

describe('result outbox', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('resends a result after the connection dropped before the ack; the peer stores it once', async () => {
    const peer = await ProtocolPeer.start({ heartbeatMs: 100 });
    cleanup.push(() => peer.close());
    const t = await startTestAgent(peer);
    cleanup.push(() => t.agent.stop({ graceMs: 0 }));
    peer.dropBeforeAck = 1;
    peer.sendJob(peer.addModel(tinyModel().bytes), 'j1', QUICK_SETTINGS);
    await peer.waitFor('the result on a second connection', () => peer.received.some((r) => r.frame.type === 'result' && r.conn === 2));
    await peer.waitFor('outbox to empty', () => t.agent.status().outbox === 0);
    expect(peer.frames('result').map((r) => r.jobId)).toEqual(['j1', 'j1']);
    expect(peer.stored.size).toBe(1);
    expect(peer.frames('progress', 2)).toEqual([]);
  });

  it('resends a result soon when the coordinator could not apply it (an internal error), not after resendAfterMs', async () => {
    const peer = await ProtocolPeer.start({ heartbeatMs: 100 });
    cleanup.push(() => peer.close());
    const t = await startTestAgent(peer, { retryAfterErrorMs: 200 });
    cleanup.push(() => t.agent.stop({ graceMs: 0 }));
    peer.failResults = 2;
    peer.sendJob(peer.addModel(tinyModel().bytes), 'j3', QUICK_SETTINGS);
    await peer.waitFor('the result stored on its third sending', () => peer.stored.get('j3@1'), 10_000);
    await peer.waitFor('outbox to empty', () => t.agent.status().outbox === 0);
    expect(peer.frames('result').map((r) => r.jobId)).toEqual(['j3', 'j3', 'j3']);
    expect(peer.connections).toBe(1);
  });

  it('keeps unacknowledged results on disk; a restarted agent resends them', async () => {
    const peer = await ProtocolPeer.start({ heartbeatMs: 100 });
    cleanup.push(() => peer.close());
    const cacheDir = tempDir();
    peer.acknowledge = false;
    const first = await startTestAgent(peer, { cacheDir });
    const model = peer.addModel(tinyModel().bytes);
    peer.sendJob(model, 'j2', QUICK_SETTINGS);
    await peer.waitFor('result', () => peer.stored.get('j2@1'));
    // The same job again (a lease re-sent after a reconnect): answered from the outbox, not re-measured.
    const progressBefore = peer.frames('progress').length;
    peer.sendJob(model, 'j2', QUICK_SETTINGS);
    await peer.waitFor('the result again', () => peer.frames('result').length === 2);
    expect(peer.frames('progress').length).toBe(progressBefore);
    await first.agent.stop({ graceMs: 0 });
    const outboxDir = join(cacheDir, 'outbox');
    const [tokenDir] = readdirSync(outboxDir);
    expect(readdirSync(join(outboxDir, tokenDir))).toHaveLength(1);

    peer.acknowledge = true;
    const second = await startTestAgent(peer, { cacheDir });
    cleanup.push(() => second.agent.stop({ graceMs: 0 }));
    expect(second.logs.join('')).toMatch(/outbox.restored results=1/);
    await peer.waitFor('outbox to empty', () => second.agent.status().outbox === 0);
    expect(peer.frames('result').length).toBe(3);
    expect(peer.stored.size).toBe(1);
    expect(readdirSync(join(outboxDir, tokenDir))).toEqual([]);
  });
});
