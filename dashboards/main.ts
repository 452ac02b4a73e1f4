/**
 * The dashboards' entry: picks the page for the URL, draws it, and redraws it when the live
 * stream says that something it shows has changed. Refreshes never overlap; one that fails keeps
 * the last drawing and says why at the top of the page.
 */
import { pruneCharts } from './charts';
import { ago, h, notice } from './dom';
import { startLive } from './live';
import type { Page, PageContext, PageFactory } from './page';
import { devicePage } from './pages/device';
import { devicesPage } from './pages/devices';
import { frontsPage } from './pages/fronts';
import { subnetPage, subnetsPage } from './pages/subnets';
import { sweepsPage } from './pages/sweeps';
import { twinsPage } from './pages/twins';

const ROUTES: Array<{ nav: string; match: (path: string[]) => boolean; page: PageFactory }> = [
  { nav: 'devices', match: (p) => p.length === 0 || (p[0] === 'devices' && p.length === 1), page: devicesPage },
  { nav: 'devices', match: (p) => p[0] === 'devices' && p.length === 2, page: devicePage },
  { nav: 'sweeps', match: (p) => p[0] === 'sweeps', page: sweepsPage },
  { nav: 'fronts', match: (p) => p[0] === 'fronts', page: frontsPage },
  { nav: 'twins', match: (p) => p[0] === 'twins', page: twinsPage },
  { nav: 'subnets', match: (p) => p[0] === 'subnets' && p.length === 1, page: subnetsPage },
  { nav: 'subnets', match: (p) => p[0] === 'subnets' && p.length === 2, page: subnetPage },
];

function start(): void {
  const main = document.getElementById('page')!;
  const path = location.pathname
    .replace(/^\/dashboard\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  const route = ROUTES.find((r) => r.match(path));
  if (!route) {
    main.replaceChildren(notice(`No dashboard page at ${location.pathname}.`), h('p', {}, h('a', { href: '/dashboard/' }, 'Devices')));
    return;
  }
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.dataset.nav === route.nav);
  const problem = h('div', { id: 'page-problem' });
  const root = h('div', { id: 'page-root' });
  main.replaceChildren(problem, root);
  const ctx: PageContext = { root, path, query: new URLSearchParams(location.search) };
  const page: Page = route.page(ctx);
  document.title = `${page.title} · OFA Farm`;

  let running: Promise<void> | null = null;
  let again = false;
  const refresh = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = page
      .refresh()
      .then(() => {
        problem.replaceChildren();
        document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
      })
      .catch((error: unknown) => problem.replaceChildren(notice(error instanceof Error ? error.message : String(error))))
      .finally(() => {
        pruneCharts();
        running = null;
        if (again) {
          again = false;
          refresh();
        }
      });
  };
  refresh();
  startLive({
    indicator: document.getElementById('live'),
    onChange: (topics) => {
      if (topics === null || topics.some((t) => page.topics.includes(t))) refresh();
    },
  });
  // Relative times ("12 s ago") move on between updates.
  setInterval(() => {
    for (const el of document.querySelectorAll<HTMLElement>('[data-ago]')) el.textContent = ago(el.dataset.ago);
  }, 5000);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
