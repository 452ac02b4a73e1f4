/**
 * The browser agent's launcher: `start(config)` finds a browser (Playwright's own, else a system
 * Chromium), opens the coordinator's agent page with the device token and keeps it alive (see
 * supervisor.ts). The page itself is the agent: it talks to the coordinator and measures with
 * onnxruntime-web. Returns the running launcher (stop(), finished). Flags and environment are
 * read by the CLI, not here.
 */
import { hostname } from 'node:os';
import { ValidationError } from '../../core/errors';
import { createLogger, type Logger } from '../runtime/log';
import { launchBrowser, type LaunchedBrowser } from './launch';
import { BrowserAgentConfig, agentPageUrl, type BrowserAgentConfigInput, type PageStatus } from './parse';
import { PageSupervisor, type SupervisorExit } from './supervisor';
import type { Page } from 'playwright-core';

export interface BrowserAgentDeps {
  /** Where log lines go (the launcher's and the page's); default: stderr. */
  writeLog?: (line: string) => void;
  log?: Logger;
}

export interface RunningBrowserAgent {
  /** Which browser runs the page, e.g. "chromium 156.0.8078.108 (system: /usr/bin/chromium)". */
  browser: string;
  stop(reason?: string): Promise<SupervisorExit>;
  /** Resolves when the launcher has ended: stopped, refused, or out of restarts. */
  finished: Promise<SupervisorExit>;
  status(): { page: PageStatus | null; restarts: number; browser: string | null };
  /** The current page (null while restarting): tests and embedders. */
  page(): Page | null;
  launched(): LaunchedBrowser | null;
}

export function parseBrowserAgentConfig(input: BrowserAgentConfigInput): BrowserAgentConfig {
  const parsed = BrowserAgentConfig.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  return parsed.data;
}

export async function start(input: BrowserAgentConfigInput, deps: BrowserAgentDeps = {}): Promise<RunningBrowserAgent> {
  const config = parseBrowserAgentConfig(input);
  const write = deps.writeLog ?? ((line: string) => process.stderr.write(line));
  const log = deps.log ?? createLogger(write, { level: config.logLevel, secrets: [config.token], fields: { agent: 'browser-launcher' } });
  const url = agentPageUrl(config.server, config.token, { backend: config.backend, threads: config.threads, host: config.host ?? hostname() });
  let first: LaunchedBrowser | null = null;
  const supervisor = new PageSupervisor({
    url,
    launch: async () => {
      const launched = await launchBrowser({ browser: config.browser, executable: config.executable, headed: config.headed, provider: config.backend, log });
      log.info('browser.launched', { browser: launched.label, headless: !config.headed, backend: config.backend });
      first ??= launched;
      return launched;
    },
    log,
    pageLine: write,
    secrets: [config.token],
    hangMs: config.hangMs,
    pollMs: config.pollMs,
    maxRestarts: config.maxRestarts,
    restartWindowMs: config.restartWindowMs,
    graceMs: config.graceMs,
  });
  await supervisor.start();
  return {
    browser: (first as LaunchedBrowser | null)?.label ?? config.browser,
    stop: (reason) => supervisor.stop(reason),
    finished: supervisor.finished,
    status: () => ({ page: supervisor.status, restarts: supervisor.restarts, browser: supervisor.launched?.label ?? null }),
    page: () => supervisor.page,
    launched: () => supervisor.launched,
  };
}
