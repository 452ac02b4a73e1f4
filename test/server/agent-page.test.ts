import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPageServer, type PageServer } from '../agents/browser/helpers/page-server';

// The agent page's routes (no database): isolation headers, bundles, onnxruntime-web's files.
let server: PageServer;

beforeAll(async () => {
  server = await startPageServer();
});
afterAll(async () => server?.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers, redirect: 'manual' });

function expectIsolated(res: Response): void {
  expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
}

describe('the agent page routes', () => {
  it('serves the page and the bench page cross-origin isolated, never cached, token kept from referrers', async () => {
    for (const [path, script] of [
      ['/agent?token=abc', 'agent/assets/agent-page.js'],
      ['/agent/bench', 'assets/bench-page.js'],
    ]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expectIsolated(res);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.text()).toContain(`<script type="module" src="${script}">`);
    }
  });

  it('redirects /agent/ to /agent, keeping the query', async () => {
    const res = await get('/agent/?token=t');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/agent?token=t');
  });

  it('bundles the page scripts once, with an etag, and leaves onnxruntime-web out of them', async () => {
    const res = await get('/agent/assets/engine-worker.js');
    expect(res.status).toBe(200);
    expectIsolated(res);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(1000);
    expect(text).not.toMatch(/cdn\.jsdelivr|unpkg\.com/);
    const etag = res.headers.get('etag') as string;
    expect((await get('/agent/assets/engine-worker.js', { 'if-none-match': etag })).status).toBe(304);
    for (const name of ['agent-page.js', 'bench-page.js']) expect((await get(`/agent/assets/${name}`)).status).toBe(200);
    expect((await get('/agent/assets/server.js')).status).toBe(404);
  });

  it('serves onnxruntime-web from node_modules with the right types, and nothing else from there', async () => {
    const wasm = await get('/agent/ort/ort-wasm-simd-threaded.wasm');
    expect(wasm.status).toBe(200);
    expectIsolated(wasm);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    const bytes = new Uint8Array(await wasm.arrayBuffer());
    expect(Number(wasm.headers.get('content-length'))).toBe(bytes.byteLength);
    expect(Array.from(bytes.slice(0, 4))).toEqual([0, 0x61, 0x73, 0x6d]);
    const mjs = await get('/agent/ort/ort.wasm.min.mjs');
    expect(mjs.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await get('/agent/ort/ort.wasm.min.mjs', { 'if-none-match': mjs.headers.get('etag') as string })).status).toBe(304);
    for (const bad of ['/agent/ort/package.json', '/agent/ort/..%2Fpackage.json', '/agent/ort/ort.min.js.map', '/agent/ort/%2E%2E%2F%2E%2E%2Fpackage.json']) {
      expect((await get(bad)).status, bad).toBe(404);
    }
  });
});
