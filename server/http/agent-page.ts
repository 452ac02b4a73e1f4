/**
 * The browser agent's page: `GET /agent?token=...` turns any browser into a farm device (a form
 * asks for the token when it is absent), `GET /agent/bench` hosts the measuring engine for a
 * Playwright-side backend, and `/agent/assets/*` and `/agent/ort/*` serve the bundles and
 * onnxruntime-web. Everything is served cross-origin isolated (COOP/COEP), so pages get WASM
 * threads (SharedArrayBuffer) and a fine performance.now().
 */
import { Hono, type Context } from 'hono';
import { NotFoundError } from '../../core/errors';
import { openOrtFile, pageBundle } from './page-assets';

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  // The agent page's URL carries its device token: it goes nowhere else.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const STYLE = `
[hidden]{display:none!important}
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:46rem;padding:1rem;color:#1b1f24;background:#fafafa}
h1{font-size:1.3rem;margin:.2rem 0 .8rem}h2{font-size:1rem;margin:1.2rem 0 .3rem;color:#555}
.badge{display:inline-block;padding:.3rem .7rem;border-radius:1rem;background:#e8e8e8;font-weight:600;margin:0}
.badge[data-state=connected]{background:#d3f3dc;color:#0b5d23}.badge[data-state=refused],.badge[data-state=failed]{background:#fbdcdc;color:#8a1111}
.message{background:#fff4e5;border-left:4px solid #e08a00;padding:.6rem .8rem}.message[hidden]{display:none}
.muted{color:#777}progress{width:100%}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:0}
dt{color:#555}dd{margin:0;word-break:break-word}pre{font-size:.75rem;white-space:pre-wrap;word-break:break-all;max-height:20rem;overflow:auto}
form{margin-top:1rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}input[name=token]{font-size:1rem;padding:.4rem;min-width:16rem}
button{font-size:1rem;padding:.4rem .9rem}`;

function html(title: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<main id="app"><p>Loading the agent…</p></main>
<noscript><p>This page needs JavaScript: it measures models with onnxruntime-web.</p></noscript>
<script type="module" src="${script}"></script>
</body>
</html>
`;
}

const AGENT_HTML = html('OFA Farm · browser agent', 'agent/assets/agent-page.js');
const BENCH_HTML = html('OFA Farm · bench page', 'assets/bench-page.js');

function page(c: Context, body: string): Response {
  return c.html(body, 200, { ...ISOLATION_HEADERS, 'cache-control': 'no-store' });
}

export function agentPageRoutes() {
  return new Hono()
    .get('/agent', (c) => page(c, AGENT_HTML))
    .get('/agent/', (c) => {
      const url = new URL(c.req.url);
      return c.redirect(`${url.pathname.replace(/\/+$/, '')}${url.search}`, 301);
    })
    .get('/agent/bench', (c) => page(c, BENCH_HTML))
    .get('/agent/assets/:file', async (c) => {
      const bundle = await pageBundle(c.req.param('file'));
      if (!bundle) throw new NotFoundError(`no agent page asset "${c.req.param('file').slice(0, 80)}"`);
      const headers = { ...ISOLATION_HEADERS, 'content-type': 'text/javascript; charset=utf-8', etag: bundle.etag, 'cache-control': 'no-cache' };
      if (c.req.header('if-none-match') === bundle.etag) return c.body(null, 304, headers);
      return c.body(bundle.text, 200, headers);
    })
    .get('/agent/ort/:file', (c) => {
      const name = c.req.param('file');
      const file = openOrtFile(name);
      if (!file) throw new NotFoundError(`"${name.slice(0, 80)}" is not one of onnxruntime-web's files`);
      const headers = { ...ISOLATION_HEADERS, 'content-type': file.contentType, etag: file.etag, 'cache-control': 'public, max-age=86400' };
      if (c.req.header('if-none-match') === file.etag) {
        void file.stream.cancel();
        return c.body(null, 304, headers);
      }
      return c.body(file.stream, 200, { ...headers, 'content-length': String(file.bytes) });
    });
}
