/**
 * Static parts of the browser agent's page: its TypeScript (agents/browser/page) bundled by
 * esbuild on first request and kept in memory, and onnxruntime-web's dist files served from our
 * own node_modules (never a CDN). The page's source is read as files, not imported: the server
 * does not depend on the agents.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..', '..');
export const PAGE_SOURCE_DIR = join(ROOT, 'agents', 'browser', 'page');
/** Entry points of the page bundles, by the file name they are served as. */
export const PAGE_ENTRIES = { 'agent-page.js': 'agent-page.ts', 'bench-page.js': 'bench-page.ts', 'engine-worker.js': 'engine-worker.ts' } as const;
export type BundleName = keyof typeof PAGE_ENTRIES;

export interface Bundle {
  text: string;
  etag: string;
}

let bundles: Promise<Map<string, Bundle>> | null = null;

async function buildBundles(): Promise<Map<string, Bundle>> {
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(PAGE_ENTRIES).map(([out, src]) => [out.replace(/\.js$/, ''), join(PAGE_SOURCE_DIR, src)])),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    write: false,
    outdir: '/bundles',
    // Only types come from onnxruntime-web; the worker imports its files at run time, by URL.
    external: ['onnxruntime-web'],
    logLevel: 'silent',
    legalComments: 'none',
  });
  const out = new Map<string, Bundle>();
  for (const file of result.outputFiles) {
    const name = file.path.split('/').pop() as string;
    out.set(name, { text: file.text, etag: `"${createHash('sha256').update(file.text).digest('hex').slice(0, 16)}"` });
  }
  return out;
}

/** The page bundle `name` (built once per process; a failed build is retried on the next request). */
export async function pageBundle(name: string): Promise<Bundle | null> {
  if (!(name in PAGE_ENTRIES)) return null;
  bundles ??= buildBundles();
  const current = bundles;
  try {
    return (await current).get(name) ?? null;
  } catch (error) {
    if (bundles === current) bundles = null;
    throw error;
  }
}

export const ORT_DIST_DIR = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
export const ORT_VERSION: string = JSON.parse(readFileSync(join(ORT_DIST_DIR, '..', 'package.json'), 'utf8')).version;

let ortFiles: Set<string> | null = null;

/** Files of onnxruntime-web's dist folder a page may load: the ES modules and the WebAssembly. */
export function ortFileNames(): Set<string> {
  ortFiles ??= new Set(readdirSync(ORT_DIST_DIR).filter((f) => /^ort[\w.-]*\.(mjs|wasm)$/.test(f)));
  return ortFiles;
}

export interface OrtFile {
  stream: ReadableStream<Uint8Array>;
  bytes: number;
  contentType: string;
  etag: string;
}

/** Opens an onnxruntime-web file for sending, or null when `name` is not one of them. */
export function openOrtFile(name: string): OrtFile | null {
  if (!ortFileNames().has(name)) return null;
  const path = join(ORT_DIST_DIR, name);
  const bytes = statSync(path).size;
  return {
    stream: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>,
    bytes,
    contentType: name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript; charset=utf-8',
    etag: `"ort-${ORT_VERSION}-${name}-${bytes}"`,
  };
}
