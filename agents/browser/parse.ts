/**
 * Parsing for the browser agent, shared by the launcher (Node) and the page (browser): the
 * launcher's configuration, the agent page's URL and its parameters, the status the page reports
 * to whoever watches it, and the browser facts read from a user agent. zod and core only.
 */
import { z } from 'zod';

export const BROWSER_NAMES = ['chromium', 'firefox', 'webkit'] as const;
export type BrowserName = (typeof BROWSER_NAMES)[number];

/** The onnxruntime-web execution providers a page can measure with. */
export const WEB_PROVIDERS = ['wasm', 'webgpu', 'webgl'] as const;
export const WebProvider = z.enum(WEB_PROVIDERS);
export type WebProvider = z.infer<typeof WebProvider>;

const serverUrl = z
  .string()
  .url('--server must be a URL such as http://127.0.0.1:7070')
  .refine((s) => /^https?:\/\//.test(s), '--server must start with http:// or https://');

export const BrowserAgentConfig = z.object({
  server: serverUrl,
  token: z.string().min(1, 'a device token is required (--token or OFA_FARM_DEVICE_TOKEN)').max(500),
  browser: z.enum(BROWSER_NAMES).default('chromium'),
  backend: WebProvider.default('wasm'),
  /** A browser binary instead of Playwright's own (for chromium: any Chromium or Chrome). */
  executable: z.string().min(1).optional(),
  headed: z.boolean().default(false),
  /** WASM threads when a job does not say; default: the browser's hardwareConcurrency. */
  threads: z.number().int().min(1).max(64).optional(),
  /** Same-host key; default: this machine's hostname (the browser shares its CPU). */
  host: z.string().min(1).max(200).optional(),
  /** A busy page with no progress for this long is hung: it is restarted and its job re-leased. */
  hangMs: z.number().int().min(1_000).max(3_600_000).default(180_000),
  /** How often the page is asked for its status (and how long it may take to answer, x3). */
  pollMs: z.number().int().min(100).max(60_000).default(2_000),
  /** Page restarts allowed within `restartWindowMs` before the launcher gives up. */
  maxRestarts: z.number().int().min(0).max(1000).default(5),
  restartWindowMs: z.number().int().min(1_000).max(24 * 3_600_000).default(600_000),
  /** On stop, how long a running job may finish before the page releases it. */
  graceMs: z.number().int().min(0).max(600_000).default(5_000),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});
export type BrowserAgentConfig = z.infer<typeof BrowserAgentConfig>;
export type BrowserAgentConfigInput = z.input<typeof BrowserAgentConfig>;

export interface PageOptions {
  backend?: WebProvider;
  threads?: number;
  host?: string;
}

/** The coordinator's agent page for a device token: http://host:port[/prefix]/agent?token=... */
export function agentPageUrl(server: string, token: string, options: PageOptions = {}): string {
  const url = new URL(server);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/agent`;
  url.search = '';
  url.hash = '';
  url.searchParams.set('token', token);
  if (options.backend && options.backend !== 'wasm') url.searchParams.set('backend', options.backend);
  if (options.threads !== undefined) url.searchParams.set('threads', String(options.threads));
  if (options.host) url.searchParams.set('host', options.host);
  return url.toString();
}

/** What the agent page reads from its URL. */
export const PageParams = z.object({
  token: z.string().min(1).max(500).nullable(),
  backend: WebProvider,
  threads: z.number().int().min(1).max(64).nullable(),
  host: z.string().min(1).max(200).nullable(),
});
export type PageParams = z.infer<typeof PageParams>;

/** Reads the page's parameters; a bad one is named (the page shows it) instead of ignored. */
export function parsePageParams(search: string): { ok: true; params: PageParams } | { ok: false; error: string } {
  const q = new URLSearchParams(search);
  const threadsText = q.get('threads');
  const threads = threadsText === null || threadsText === '' ? null : Number(threadsText);
  const parsed = PageParams.safeParse({
    token: q.get('token')?.trim() || null,
    backend: q.get('backend') || 'wasm',
    threads,
    host: q.get('host') || null,
  });
  if (parsed.success) return { ok: true, params: parsed.data };
  const issue = parsed.error.issues[0];
  const name = String(issue.path[0] ?? 'parameter');
  const hint = name === 'backend' ? ` (one of ${WEB_PROVIDERS.join(', ')})` : name === 'threads' ? ' (an integer from 1 to 64)' : '';
  return { ok: false, error: `URL parameter "${name}" is not valid${hint}: ${JSON.stringify(q.get(name))}` };
}

/** What the page says about itself to a launcher (window.ofaFarmAgent.status()) and to people. */
export const PageStatus = z.object({
  /** starting | connecting | connected | refused | failed | stopped */
  state: z.enum(['starting', 'connecting', 'connected', 'refused', 'failed', 'stopped']),
  /** Why the page is refused or failed. */
  message: z.string().nullable(),
  deviceName: z.string().nullable(),
  busyJobId: z.string().nullable(),
  jobLabel: z.string().nullable(),
  phase: z.string().nullable(),
  /** Since the last sign of life of the current job (progress, phase change), in ms; null when idle. */
  jobIdleMs: z.number().nullable(),
  jobsMeasured: z.number().int().nonnegative(),
  outbox: z.number().int().nonnegative(),
});
export type PageStatus = z.infer<typeof PageStatus>;

export interface BrowserFacts {
  /** e.g. "Chromium 156.0.8078.108", "Firefox 133.0", "Safari 17.1", or null. */
  browser: string | null;
  /** e.g. "Android 14", "Linux x86_64", "iOS 17.1". */
  os: string | null;
  /** A phone model when the user agent names one (Android). */
  model: string | null;
}

const BROWSER_PATTERNS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/([\d.]+)/, 'Edge'],
  [/\bSamsungBrowser\/([\d.]+)/, 'Samsung Internet'],
  [/\bOPR\/([\d.]+)/, 'Opera'],
  [/\bFirefox\/([\d.]+)/, 'Firefox'],
  [/\bFxiOS\/([\d.]+)/, 'Firefox'],
  [/\bCriOS\/([\d.]+)/, 'Chrome'],
  [/\bHeadlessChrome\/([\d.]+)/, 'Chromium (headless)'],
  [/\bChrom(?:e|ium)\/([\d.]+)/, 'Chrome'],
  [/\bVersion\/([\d.]+).*Safari\//, 'Safari'],
];

/** Browser, OS and (Android) model from a user agent string. */
export function parseUserAgent(ua: string): BrowserFacts {
  let browser: string | null = null;
  for (const [pattern, name] of BROWSER_PATTERNS) {
    const m = pattern.exec(ua);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  let os: string | null = null;
  let model: string | null = null;
  const android = /Android ([\d.]+)(?:; ([^;)]+))?/.exec(ua);
  const ios = /(?:iPhone|iPad|iPod).*? OS ([\d_]+)/.exec(ua);
  if (android) {
    os = `Android ${android[1]}`;
    const candidate = android[2]?.trim();
    // Chrome's reduced user agent says "K" instead of the model.
    if (candidate && candidate !== 'K' && !/^wv$|Build\//.test(candidate)) model = candidate;
  } else if (ios) os = `iOS ${ios[1].replace(/_/g, '.')}`;
  else if (/Windows NT ([\d.]+)/.test(ua)) os = `Windows NT ${/Windows NT ([\d.]+)/.exec(ua)?.[1]}`;
  else if (/Mac OS X ([\d_]+)/.test(ua)) os = `macOS ${/Mac OS X ([\d_]+)/.exec(ua)?.[1].replace(/_/g, '.')}`;
  else if (/CrOS/.test(ua)) os = 'ChromeOS';
  else if (/Linux ([\w]+)/.test(ua)) os = `Linux ${/Linux ([\w]+)/.exec(ua)?.[1]}`;
  else if (/Linux/.test(ua)) os = 'Linux';
  return { browser, os, model };
}

/** What `device add --kind browser` prints: the join URL and the headless alternative. */
export function joinInstructions(server: string, token: string): string {
  const url = agentPageUrl(server, token);
  const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(new URL(server).hostname);
  const lines = [
    'open this URL in any browser (a phone\'s too) to make it this device\'s agent:',
    `  ${url}`,
    'or run it in a headless browser here:',
    `  OFA_FARM_DEVICE_TOKEN=${token} ofa-farm agent browser --server ${server}`,
  ];
  if (local) {
    lines.push(
      'from another machine, use this machine\'s address instead (start the coordinator with `ofa-farm serve --host 0.0.0.0`);',
      'browsers give WASM threads and a fine timer only to https or localhost pages: on a phone, `adb reverse tcp:PORT tcp:PORT` and open it as localhost.',
    );
  }
  return `${lines.join('\n')}\n`;
}
