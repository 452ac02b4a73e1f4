/**
 * Keeps one agent page alive in a Playwright browser. It opens the page, forwards its log,
 * polls its status (window.ofaFarmAgent), and restarts it when it crashes, is closed, stops
 * answering (a hung main thread) or holds a job without progress for too long; a closed or
 * crashed page drops its WebSocket, so the coordinator re-leases the job. A refused token ends
 * it. Restarts are bounded per time window; every wait has a deadline.
 */
import type { ConsoleMessage, Page } from 'playwright-core';
import { errorMessage } from '../../core/errors';
import { settlesWithin, sleep, TimeoutError, withDeadline } from '../runtime/abort';
import type { Logger } from '../runtime/log';
import type { LaunchedBrowser } from './launch';
import { PageStatus } from './parse';

export interface SupervisorOptions {
  url: string;
  launch: () => Promise<LaunchedBrowser>;
  log: Logger;
  /** Where the page's own log lines go (already formatted, token redacted by the page). */
  pageLine: (line: string) => void;
  /** Strings never to let through from the page (the token), whatever the page printed. */
  secrets: string[];
  hangMs: number;
  pollMs: number;
  maxRestarts: number;
  restartWindowMs: number;
  graceMs: number;
  /** How long a freshly opened page may take to start its agent. */
  startTimeoutMs?: number;
}

export interface SupervisorExit {
  fatal: boolean;
  /** stopped | auth_failed | bad_version | page_failed | restart_limit | browser_failed */
  code: string;
  message: string;
}

const RUNTIME_LINE = /^\d{4}-\d\d-\d\dT\S+ (debug|info|warn|error) [\w.]+/;

export class PageSupervisor {
  private browser: LaunchedBrowser | null = null;
  private current: Page | null = null;
  private openedAt = 0;
  private restartTimes: number[] = [];
  private busy = false;
  private stopping = false;
  private ended = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastStatus: PageStatus | null = null;
  /** Aborts every wait of the supervisor when it stops. */
  private readonly lifetime = new AbortController();
  private resolveFinished!: (exit: SupervisorExit) => void;
  readonly finished: Promise<SupervisorExit>;
  restarts = 0;

  constructor(private readonly opts: SupervisorOptions) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get page(): Page | null {
    return this.current;
  }

  get launched(): LaunchedBrowser | null {
    return this.browser;
  }

  get status(): PageStatus | null {
    return this.lastStatus;
  }

  /** Launches the browser; the page opens in the background (an unreachable coordinator is retried). */
  async start(): Promise<void> {
    this.browser = await this.opts.launch();
    this.watchBrowser(this.browser);
    this.busy = true;
    void this.open()
      .catch((error) => {
        if (!this.stopping) this.end({ fatal: true, code: 'browser_failed', message: `could not open the agent page: ${errorMessage(error)}` });
      })
      .finally(() => {
        this.busy = false;
        this.schedule();
      });
  }

  private redact(text: string): string {
    let out = text;
    for (const s of this.opts.secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
    return out;
  }

  private watchBrowser(b: LaunchedBrowser): void {
    b.browser.on('disconnected', () => {
      if (this.browser !== b || this.stopping || this.ended) return;
      this.browser = null;
      void this.restart('the browser exited');
    });
  }

  /** Opens the page; an unreachable coordinator is retried (with backoff) until stopped. */
  private async open(): Promise<void> {
    const { log } = this.opts;
    for (let attempt = 0; !this.stopping; attempt++) {
      // A crashed browser may not have said so yet ('disconnected' comes after its pages close).
      if (this.browser && !this.browser.browser.isConnected()) this.browser = null;
      if (!this.browser) {
        this.browser = await this.opts.launch();
        this.watchBrowser(this.browser);
        log.info('browser.relaunched', { browser: this.browser.label });
      }
      const b = this.browser;
      let page: Page;
      try {
        page = await b.context.newPage();
      } catch (error) {
        log.warn('page.open_failed', { error: errorMessage(error).split('\n')[0] });
        if (this.browser === b && !b.browser.isConnected()) this.browser = null;
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)), this.lifetime.signal).catch(() => {});
        continue;
      }
      this.attach(page);
      this.current = page;
      this.openedAt = Date.now();
      try {
        await page.goto(this.opts.url, { timeout: 60_000, waitUntil: 'domcontentloaded' });
        log.info('page.opened', { url: this.redact(this.opts.url) });
        return;
      } catch (error) {
        this.current = null;
        await page.close().catch(() => {});
        const delay = Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5));
        if (this.stopping) return;
        log.warn('page.unreachable', { error: this.redact(errorMessage(error).split('\n')[0]), retryInMs: delay });
        await sleep(delay, this.lifetime.signal).catch(() => {});
      }
    }
  }

  private attach(page: Page): void {
    const { log } = this.opts;
    const mine = () => this.current === page;
    page.on('console', (msg: ConsoleMessage) => {
      const text = this.redact(msg.text());
      if (msg.type() === 'log' && RUNTIME_LINE.test(text)) this.opts.pageLine(`${text}\n`);
      // onnxruntime's own warnings (e.g. "Unknown CPU vendor") arrive as console errors: not the page's.
      else if (msg.type() === 'error' && !/\[W:onnxruntime/.test(text)) log.warn('page.console_error', { text: text.slice(0, 500) });
      else log.debug('page.console', { type: msg.type(), text: text.slice(0, 500) });
    });
    page.on('pageerror', (error) => log.warn('page.error', { error: this.redact(error.message).slice(0, 500) }));
    page.on('crash', () => {
      if (mine()) void this.restart('the page crashed');
    });
    page.on('close', () => {
      if (mine() && !this.stopping) void this.restart('the page was closed');
    });
  }

  private schedule(): void {
    if (this.stopping || this.ended) return;
    this.timer = setTimeout(() => void this.tick().finally(() => this.schedule()), this.opts.pollMs);
  }

  private async tick(): Promise<void> {
    const page = this.current;
    if (!page || this.busy || this.stopping) return;
    const answerMs = Math.max(3 * this.opts.pollMs, 5_000);
    let raw: unknown;
    try {
      raw = await withDeadline('the page status', answerMs, undefined, () => page.evaluate(() => window.ofaFarmAgent?.status() ?? null));
    } catch (error) {
      if (page !== this.current || this.busy || this.stopping) return;
      const message = errorMessage(error);
      if (error instanceof TimeoutError) return void (await this.restart(`the page did not answer within ${answerMs} ms (its main thread is stuck)`));
      this.opts.log.debug('page.poll_failed', { error: message.split('\n')[0] });
      return;
    }
    if (page !== this.current) return;
    if (raw === null) {
      const startMs = this.opts.startTimeoutMs ?? 90_000;
      if (Date.now() - this.openedAt > startMs) {
        const text = ((await page.evaluate(() => document.body?.innerText ?? '').catch(() => '')) as string).slice(0, 300);
        await this.restart(`the agent page did not start within ${startMs} ms${text ? ` (it shows: ${this.redact(text).replace(/\s+/g, ' ')})` : ''}`);
      }
      return;
    }
    const parsed = PageStatus.safeParse(raw);
    if (!parsed.success) return void this.opts.log.warn('page.bad_status', { error: parsed.error.issues[0]?.message ?? 'invalid' });
    const status = parsed.data;
    this.lastStatus = status;
    if (status.state === 'refused') return this.end({ fatal: true, code: /protocol/.test(status.message ?? '') ? 'bad_version' : 'auth_failed', message: status.message ?? 'refused' });
    if (status.state === 'failed') return this.end({ fatal: true, code: 'page_failed', message: status.message ?? 'the agent page failed' });
    if (status.state === 'stopped') return void (await this.restart('the page stopped its agent'));
    if (status.busyJobId && status.jobIdleMs !== null && status.jobIdleMs > this.opts.hangMs) {
      await this.restart(`job ${status.busyJobId} (${status.phase ?? '?'}) showed no progress for ${Math.round(status.jobIdleMs / 1000)} s`);
    }
  }

  /** Replaces the page (and the browser when it is gone); gives up past the restart limit. */
  private async restart(reason: string): Promise<void> {
    if (this.busy || this.stopping || this.ended) return;
    this.busy = true;
    const { log } = this.opts;
    try {
      const now = Date.now();
      this.restartTimes = this.restartTimes.filter((t) => now - t < this.opts.restartWindowMs);
      if (this.restartTimes.length >= this.opts.maxRestarts) {
        this.end({ fatal: true, code: 'restart_limit', message: `gave up after ${this.restartTimes.length} page restarts within ${Math.round(this.opts.restartWindowMs / 1000)} s (last: ${reason})` });
        return;
      }
      this.restartTimes.push(now);
      this.restarts++;
      log.warn('page.restart', { reason, restarts: this.restarts, busyJobId: this.lastStatus?.busyJobId ?? null });
      const old = this.current;
      this.current = null;
      this.lastStatus = null;
      if (old && !old.isClosed()) {
        const closing = old.close({ runBeforeUnload: false });
        const closed = (await settlesWithin(closing, 10_000)) && (await closing.then(() => true, () => false));
        if (!closed && this.browser) {
          log.warn('browser.restart', { reason: 'the old page could not be closed' });
          const b = this.browser;
          this.browser = null;
          await settlesWithin(b.close(), 10_000);
        }
      }
      await this.open();
    } catch (error) {
      this.end({ fatal: true, code: 'browser_failed', message: `could not restart the page: ${errorMessage(error)}` });
    } finally {
      this.busy = false;
    }
  }

  private end(exit: SupervisorExit): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    const level = exit.fatal ? 'error' : 'info';
    this.opts.log[level]('launcher.end', { code: exit.code, message: exit.message });
    void this.shutdown(0).then(() => this.resolveFinished(exit));
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.lifetime.abort();
    if (this.timer) clearTimeout(this.timer);
    const page = this.current;
    if (page && !page.isClosed()) {
      // The page releases a job it cannot finish in time, then closes its socket politely.
      await settlesWithin(page.evaluate((ms) => window.ofaFarmAgent?.stop(ms), graceMs), graceMs + 15_000);
    }
    this.current = null;
    const b = this.browser;
    this.browser = null;
    if (b) await settlesWithin(b.close(), 15_000);
  }

  /** Stops the page (a running job gets `graceMs`, then is released) and the browser. */
  async stop(reason = 'stopping'): Promise<SupervisorExit> {
    if (!this.ended) {
      this.ended = true;
      this.opts.log.info('launcher.stop', { reason });
      this.stopping = true;
      this.lifetime.abort();
      // A restart in progress finishes its bounded steps first (page close, goto: each has a deadline).
      for (let i = 0; i < 900 && this.busy; i++) await sleep(100);
      await this.shutdown(this.opts.graceMs);
      this.resolveFinished({ fatal: false, code: 'stopped', message: reason });
    }
    return this.finished;
  }
}
