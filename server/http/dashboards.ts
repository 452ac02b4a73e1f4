/**
 * The dashboards: web pages served by the coordinator at /dashboard/ (one page shell, one bundled
 * script and style from `dashboards/`, nothing from elsewhere) and the read-only API and event
 * stream they use under /api/dashboard. Mount with `app.route('/', dashboardRoutes(deps))`.
 */
import { Hono, type Context } from 'hono';
import type { AppDeps } from './deps';
import { dashboardApi } from './dashboard/api';
import { DashboardAssets, type Asset } from './dashboard/bundle';
import { DASHBOARD_PATH, dashboardUrl } from './dashboard/url';

export { DASHBOARD_PATH, dashboardUrl };

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OFA Farm</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/app.css">
<script type="module" src="/dashboard/assets/app.js"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/dashboard/">OFA Farm</a>
  <nav>
    <a href="/dashboard/" data-nav="devices">Devices</a>
    <a href="/dashboard/sweeps" data-nav="sweeps">Sweeps</a>
    <a href="/dashboard/fronts" data-nav="fronts">Pareto fronts</a>
    <a href="/dashboard/twins" data-nav="twins">Twin quality</a>
    <a href="/dashboard/subnets" data-nav="subnets">Subnets</a>
  </nav>
  <span id="live" class="live" title="live updates">connecting…</span>
</header>
<main id="page"><p class="muted">Loading…</p></main>
<noscript>The dashboards need JavaScript.</noscript>
</body>
</html>
`;

function send(c: Context, asset: Asset): Response {
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
  return c.body(asset.body, 200, { 'content-type': asset.contentType, etag: asset.etag, 'cache-control': 'no-cache' });
}

export function dashboardRoutes(deps: AppDeps) {
  const assets = new DashboardAssets();
  const shell = (c: Context) => c.html(SHELL, 200, { 'cache-control': 'no-cache' });
  return new Hono()
    .get('/', (c) => c.redirect(DASHBOARD_PATH))
    .get('/dashboard', (c) => c.redirect(DASHBOARD_PATH))
    .get('/dashboard/assets/app.js', async (c) => send(c, await assets.scriptAsset()))
    .get('/dashboard/assets/app.css', async (c) => send(c, await assets.styleAsset()))
    .get('/dashboard/assets/*', (c) => c.json({ error: { name: 'NotFoundError', message: `no dashboard asset ${c.req.path}` } }, 404))
    .get('/dashboard/', shell)
    .get('/dashboard/*', shell)
    .route('/api/dashboard', dashboardApi(deps));
}
