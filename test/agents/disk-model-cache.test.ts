import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskModelCache } from '../../agents/runtime/disk-model-cache';
import { ModelFetchError } from '../../agents/runtime/platform';
import { sha256Hex } from '../conformance/test-models';
import { tempDir } from './helpers/test-agent';

const BODY = new TextEncoder().encode('model bytes '.repeat(100));
const SHA = sha256Hex(BODY);

describe('disk model cache limits', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(null)));
    server = null;
  });
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }
  const ctx = (baseUrl: string) => ({ baseUrl, token: 't', signal: new AbortController().signal });

  it('refuses a body larger than the job declared (permanent)', async () => {
    const base = await serve((_req, res) => res.end(Buffer.concat([Buffer.from(BODY), Buffer.from('extra')])));
    const cache = createDiskModelCache({ dir: tempDir(), attempts: 3 });
    const error = await cache.get({ sha256: SHA, url: `/artifacts/${SHA}`, bytes: BODY.byteLength }, ctx(base)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFetchError);
    expect((error as ModelFetchError).permanent).toBe(true);
    expect((error as Error).message).toMatch(/sent \d+ bytes, expected at most 1200|passed 1200 bytes/);
  });

  it('refuses a model larger than the agent accepts before downloading', async () => {
    const cache = createDiskModelCache({ dir: tempDir(), maxModelBytes: 1000 });
    await expect(cache.get({ sha256: SHA, url: '/x', bytes: 5000 }, ctx('http://127.0.0.1:9'))).rejects.toThrow(/exceeds this agent's limit of 1000 bytes/);
  });

  it('gives up on a stalled download at its deadline, as a transient failure', async () => {
    let requests = 0;
    const base = await serve((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-length': BODY.byteLength });
      res.write(BODY.slice(0, 10));
    });
    const cache = createDiskModelCache({ dir: tempDir(), attempts: 2, baseTimeoutMs: 300 });
    const error = (await cache.get({ sha256: SHA, url: `/artifacts/${SHA}`, bytes: BODY.byteLength }, ctx(base)).catch((e: unknown) => e)) as ModelFetchError;
    expect(error.permanent).toBe(false);
    expect(error.message).toMatch(/took longer than \d+ ms \(after 2 attempts\)/);
    expect(requests).toBe(2);
  });

  it('retries a 503 and succeeds, then serves from the verified cache', async () => {
    let requests = 0;
    const base = await serve((_req, res) => (++requests === 1 ? res.writeHead(503).end('busy') : res.end(BODY)));
    const cache = createDiskModelCache({ dir: tempDir(), attempts: 3 });
    const ref = { sha256: SHA, url: `/artifacts/${SHA}`, bytes: BODY.byteLength };
    const model = await cache.get(ref, ctx(base));
    expect(Buffer.from(await model.read()).equals(Buffer.from(BODY))).toBe(true);
    await cache.get(ref, ctx(base));
    expect(requests).toBe(2);
  });
});
