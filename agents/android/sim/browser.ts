/**
 * The simulated phone's Chrome: `am start -a android.intent.action.VIEW -d URL` opens the URL in
 * headless Chromium (playwright-core, Debian's /usr/bin/chromium by default). Its only network
 * is the phone's: a SOCKS proxy that carries each connection to localhost:P over adb when P is
 * `adb reverse`d, and refuses everything else.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { BrowserHook, SimDevice } from './device';
import { startSocksServer } from './socks';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export interface SimBrowserOptions {
  executablePath?: string;
  log?: (message: string) => void;
  /** Console messages of the page, for tests and demos. */
  onConsole?: (type: string, text: string) => void;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function createSimBrowser(opts: SimBrowserOptions = {}): BrowserHook & { page(): Page | null; carried(): number } {
  const log = opts.log ?? (() => {});
  let browser: Browser | null = null;
  let page: Page | null = null;
  let socks: Awaited<ReturnType<typeof startSocksServer>> | null = null;
  let current: SimDevice | null = null;
  /** Connections the browser made that went over adb (reverse data path). */
  let carried = 0;

  const launch = async (device: SimDevice) => {
    current = device;
    if (browser?.isConnected()) return browser;
    const executablePath = opts.executablePath ?? DEFAULT_CHROMIUM;
    if (!existsSync(executablePath)) throw new Error(`no browser at ${executablePath}`);
    socks ??= await startSocksServer(async (host, port) => {
      if (!LOCAL_HOSTS.has(host) || !current) return null;
      const target = current.reverseTarget(port);
      if (!target) {
        log(`browser: connection to localhost:${port} refused (no adb reverse rule for tcp:${port})`);
        return null;
      }
      const stream = await target.conn.openToHost(target.local);
      carried++;
      return stream;
    });
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS, `--proxy-server=socks5://127.0.0.1:${socks.port}`, '--proxy-bypass-list=<-loopback>'],
      timeout: 60_000,
    });
    return browser;
  };

  return {
    async open(url, device) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return `not a URL: ${url}`;
      }
      if (!/^https?:$/.test(parsed.protocol)) return `the simulated Chrome opens http(s) URLs only, not ${parsed.protocol}`;
      if (!LOCAL_HOSTS.has(parsed.hostname)) return `the simulated phone has no network but adb: only adb-reversed localhost ports are reachable, not ${parsed.host}`;
      try {
        const b = await launch(device);
        await page?.close().catch(() => {});
        page = await b.newPage();
        page.on('console', (m) => opts.onConsole?.(m.type(), m.text()));
        page.on('pageerror', (e) => opts.onConsole?.('pageerror', e.message));
        page.on('crash', () => log('browser: the page crashed'));
        const opened = page;
        void opened.goto(url, { timeout: 30_000 }).catch((error: Error) => log(`browser: ${url.replace(/token=[^&]+/, 'token=…')}: ${error.message.split('\n')[0]}`));
        log(`browser: opened ${url.replace(/token=[^&]+/, 'token=…')}`);
        return null;
      } catch (error) {
        return `the simulated Chrome could not start: ${(error as Error).message.split('\n')[0]}`;
      }
    },
    async stop() {
      await page?.close().catch(() => {});
      page = null;
      await browser?.close().catch(() => {});
      browser = null;
      await socks?.close();
      socks = null;
    },
    page: () => page,
    carried: () => carried,
  };
}
