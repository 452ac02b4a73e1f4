/**
 * Headless Chromium for the dashboards' tests: Playwright drives the system's Chromium (Debian's
 * /usr/bin/chromium here; OFA_FARM_CHROMIUM elsewhere) with a fresh profile. Helpers read what a
 * chart really drew: its data and, at each drawn element, the pixel on the canvas.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../meta/source-files';

export const SCREENSHOTS = join(ROOT, 'test-output', 'dashboards');

export function chromiumPath(): string | null {
  const candidates = [process.env.OFA_FARM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium found (set OFA_FARM_CHROMIUM or install the chromium package)');
  const profile = mkdtempSync(join(tmpdir(), 'ofa-dash-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 1000 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(30_000);
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface DrawnChart {
  type: string;
  /** Axis titles. */
  x: string;
  y: string;
  datasets: Array<{ label: string; points: number }>;
  /** Elements (points, bars) drawn inside the chart area, and how many of them left paint on the canvas. */
  drawn: number;
  painted: number;
}

/** What chart `id` holds and drew; null while the page has not drawn it. */
export async function drawnChart(page: Page, id: string): Promise<DrawnChart | null> {
  return page.evaluate((chartId) => {
    const chart = window.ofaDashboard?.charts.get(chartId);
    if (!chart || !chart.canvas.isConnected) return null;
    const ctx = chart.canvas.getContext('2d')!;
    const ratio = chart.currentDevicePixelRatio;
    const area = chart.chartArea;
    let drawn = 0;
    let painted = 0;
    chart.data.datasets.forEach((_, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      for (const el of meta.data) {
        const { x, y } = el as unknown as { x: number; y: number };
        if (!(x >= area.left && x <= area.right && y >= area.top && y <= area.bottom)) continue;
        drawn++;
        const pixel = ctx.getImageData(Math.round(x * ratio), Math.round(Math.min(y + 1, area.bottom - 1) * ratio), 1, 1).data;
        if (pixel[3] > 0) painted++;
      }
    });
    return {
      type: chart.canvas.dataset.type ?? '',
      x: String((chart.options.scales?.x as { title?: { text?: string } } | undefined)?.title?.text ?? ''),
      y: String((chart.options.scales?.y as { title?: { text?: string } } | undefined)?.title?.text ?? ''),
      datasets: chart.data.datasets.map((d) => ({ label: String(d.label ?? ''), points: (d.data as unknown[]).length })),
      drawn,
      painted,
    };
  }, id);
}

/** Polls `check` in the test process until it returns a value (not undefined/null/false). */
export async function until<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
