import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createEdgeBackend } from '../../agents/edge/backend';
import { startAgent } from '../../agents/runtime/agent';
import { createLogger } from '../../agents/runtime/log';
import { memoryModelSource, sha256Hex, storageOutboxStore, webSocketFactory } from '../../agents/runtime/web-platform';
import { QUICK_SETTINGS } from '../conformance/device-backend.case';
import { sha256Hex as nodeSha256, tinyModel } from '../conformance/test-models';
import { GOOD_TOKEN, ProtocolPeer } from './helpers/protocol-peer';

/** Web Storage's interface over a Map (what localStorage offers a page). */
function mapStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
    key: (i: number) => [...map.keys()][i] ?? null,
    get length() {
      return map.size;
    },
  };
}

describe('the runtime on web-API platform pieces (as a page would run it)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('hashes like node:crypto', async () => {
    const bytes = tinyModel().bytes;
    expect(await sha256Hex(bytes)).toBe(nodeSha256(bytes));
  });

  it('connects with a WHATWG-style WebSocket, downloads into memory, keeps the outbox in storage', async () => {
    const peer = await ProtocolPeer.start({ heartbeatMs: 100 });
    cleanup.push(() => peer.close());
    const storage = mapStorage();
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l), { secrets: [GOOD_TOKEN] });
    const agent = await startAgent({
      server: peer.url,
      token: GOOD_TOKEN,
      backend: createEdgeBackend({ threads: 1 }),
      platform: {
        openSocket: webSocketFactory(WebSocket as never),
        models: memoryModelSource({ log }),
        outbox: storageOutboxStore(storage, 'ofa-farm-outbox:'),
      },
      log,
      backoff: { initialMs: 50, maxMs: 200, factor: 2, jitter: 0.5 },
    });
    cleanup.push(() => agent.stop({ graceMs: 0 }));
    await peer.waitFor('welcome', () => agent.status().connected);
    const model = peer.addModel(tinyModel().bytes);
    peer.acknowledge = false;
    peer.sendJob(model, 'w1', QUICK_SETTINGS);
    const m = await peer.waitFor('result', () => peer.stored.get('w1@1'));
    expect(m.status).not.toBe('failed');
    expect([...storage.map.keys()]).toEqual(['ofa-farm-outbox:1:w1']);
    peer.acknowledge = true;
    peer.dropConnection();
    await peer.waitFor('outbox emptied after the resend', () => storage.map.size === 0);
    peer.sendJob(model, 'w2', QUICK_SETTINGS);
    await peer.waitFor('second result', () => peer.stored.get('w2@1'));
    expect(peer.downloads).toHaveLength(1);
    expect(peer.downloads[0].authorization).toBe(`Bearer ${GOOD_TOKEN}`);
  });
});
