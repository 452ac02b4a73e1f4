/**
 * The dashboards' script and style, built from `dashboards/` with esbuild on first request and
 * kept in memory (no build step, no committed artifact). Chart.js and Hono's client come from the
 * project's node_modules inside the bundle: the pages load nothing from anywhere else.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FarmError } from '../../../core/errors';

export const DASHBOARDS_DIR = join(import.meta.dirname, '..', '..', '..', 'dashboards');

export interface Asset {
  body: string;
  contentType: string;
  etag: string;
}

function asset(body: string, contentType: string): Asset {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` };
}

async function buildScript(): Promise<Asset> {
  const result = await build({
    entryPoints: [join(DASHBOARDS_DIR, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    keepNames: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return asset(result.outputFiles[0].text, 'text/javascript; charset=utf-8');
}

export class DashboardAssets {
  private script: Promise<Asset> | null = null;
  private style: Promise<Asset> | null = null;

  /** The bundled script; a failed build is retried on the next request. */
  scriptAsset(): Promise<Asset> {
    this.script ??= buildScript().catch((error: unknown) => {
      this.script = null;
      throw new FarmError(`the dashboards could not be built: ${error instanceof Error ? error.message.split('\n').slice(0, 6).join(' ') : String(error)}`);
    });
    return this.script;
  }

  styleAsset(): Promise<Asset> {
    this.style ??= readFile(join(DASHBOARDS_DIR, 'styles.css'), 'utf8')
      .then((css) => asset(css, 'text/css; charset=utf-8'))
      .catch((error: unknown) => {
        this.style = null;
        throw new FarmError(`the dashboards' style sheet is missing: ${error instanceof Error ? error.message : String(error)}`);
      });
    return this.style;
  }
}
