/**
 * Finding and starting a browser with Playwright. Candidates, in order: --executable, then
 * Playwright's own build of the browser, then (chromium only) a system Chromium or Chrome such
 * as Debian's /usr/bin/chromium. Firefox and WebKit need Playwright's patched builds; when they
 * are missing the error says how to install them. The result says which browser was used.
 */
import { existsSync } from 'node:fs';
import { chromium, firefox, webkit, type Browser, type BrowserContext, type BrowserType } from 'playwright-core';
import { ValidationError, errorMessage } from '../../core/errors';
import { silentLogger, type Logger } from '../runtime/log';
import type { BrowserName, WebProvider } from './parse';

const TYPES: Record<BrowserName, BrowserType> = { chromium, firefox, webkit };

/** System Chromium builds Playwright can drive over CDP, most likely first. */
export const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];

export interface BrowserCandidate {
  name: BrowserName;
  /** Undefined: Playwright's own build, found by Playwright. */
  executablePath: string | undefined;
  source: 'executable flag' | 'playwright' | 'system';
}

export function installHint(name: BrowserName): string {
  return `install Playwright's ${name} with \`npx playwright-core install ${name}\` (and its system libraries with \`npx playwright-core install-deps ${name}\`), or pass --executable PATH`;
}

/** The browsers to try, in order; throws a ValidationError saying what is missing and how to fix it. */
export function browserCandidates(name: BrowserName, executable?: string, exists: (path: string) => boolean = existsSync): BrowserCandidate[] {
  if (executable) {
    if (!exists(executable)) throw new ValidationError(`--executable ${executable} does not exist`);
    return [{ name, executablePath: executable, source: 'executable flag' }];
  }
  const out: BrowserCandidate[] = [];
  const own = TYPES[name].executablePath();
  if (exists(own)) out.push({ name, executablePath: undefined, source: 'playwright' });
  if (name === 'chromium') for (const path of SYSTEM_CHROMIUM) if (exists(path)) out.push({ name, executablePath: path, source: 'system' });
  if (out.length === 0) {
    if (name === 'chromium') {
      throw new ValidationError(
        `no chromium found: neither Playwright's own (${own}) nor a system Chromium (${SYSTEM_CHROMIUM.join(', ')}) is installed. To fix it, ${installHint(name)}; on Debian/Ubuntu \`apt-get install chromium\` works too`,
      );
    }
    throw new ValidationError(`Playwright's ${name} is not installed (looked for ${own}); a system ${name} cannot be driven, Playwright needs its own build. To fix it, ${installHint(name)}`);
  }
  return out;
}

export interface LaunchOptions {
  browser: BrowserName;
  executable?: string;
  headed?: boolean;
  /** WebGPU needs the GPU process; the other providers run with it disabled. */
  provider?: WebProvider;
  log?: Logger;
  timeoutMs?: number;
}

export interface LaunchedBrowser {
  browser: Browser;
  context: BrowserContext;
  name: BrowserName;
  version: string;
  executable: string;
  source: BrowserCandidate['source'];
  /** e.g. "chromium 156.0.8078.108 (system: /usr/bin/chromium)" */
  label: string;
  close(): Promise<void>;
}

export function chromiumArgs(provider: WebProvider = 'wasm'): string[] {
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-background-timer-throttling', '--disable-renderer-backgrounding'];
  return provider === 'webgpu' ? [...args, '--enable-unsafe-webgpu', '--enable-features=Vulkan'] : [...args, '--disable-gpu'];
}

/** Starts the first candidate that launches; the browser gets a fresh profile (Playwright's temporary one). */
export async function launchBrowser(opts: LaunchOptions): Promise<LaunchedBrowser> {
  const log = opts.log ?? silentLogger;
  const candidates = browserCandidates(opts.browser, opts.executable);
  const failures: string[] = [];
  for (const candidate of candidates) {
    const type = TYPES[candidate.name];
    const executable = candidate.executablePath ?? type.executablePath();
    try {
      const browser = await type.launch({
        executablePath: candidate.executablePath,
        headless: !opts.headed,
        args: candidate.name === 'chromium' ? chromiumArgs(opts.provider) : [],
        timeout: opts.timeoutMs ?? 60_000,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
      const version = browser.version();
      const label = `${candidate.name} ${version} (${candidate.source === 'playwright' ? "Playwright's own" : candidate.source}: ${executable})`;
      if (failures.length) log.warn('browser.fallback', { used: label, failed: failures.join('; ') });
      return {
        browser,
        context,
        name: candidate.name,
        version,
        executable,
        source: candidate.source,
        label,
        close: async () => {
          await context.close().catch(() => {});
          await browser.close().catch(() => {});
        },
      };
    } catch (error) {
      failures.push(`${executable}: ${errorMessage(error).split('\n')[0]}`);
    }
  }
  throw new ValidationError(`could not start ${opts.browser}: ${failures.join('; ')}. ${installHint(opts.browser)}`);
}
