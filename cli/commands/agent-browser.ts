/** `ofa-farm agent browser`: a Playwright-driven browser joins a coordinator as a browser device. */
import type { Command } from 'commander';
import { FarmError, ValidationError } from '../../core/errors';
import { commandGroup, type CliContext } from '../main';
import { parseChoice, parseInteger } from '../options';

interface BrowserOptions {
  server: string;
  token?: string;
  browser: string;
  backend: string;
  executable?: string;
  headed?: boolean;
  threads?: string;
  host?: string;
  hangTimeout: string;
  graceMs: string;
  logLevel: string;
}

export function registerAgentBrowserCommand(program: Command, ctx: CliContext): void {
  const agent = commandGroup(program, 'agent', 'Run a device agent that measures models for a coordinator');
  agent
    .command('browser')
    .description("Open the coordinator's agent page in a browser (Playwright) and keep it measuring with onnxruntime-web; runs until Ctrl-C")
    .option('--server <url>', 'coordinator URL (or OFA_FARM_SERVER)', process.env.OFA_FARM_SERVER ?? 'http://127.0.0.1:7070')
    .option('--token <token>', 'device token of a browser device from `ofa-farm device add --kind browser` (prefer OFA_FARM_DEVICE_TOKEN)')
    .option('--browser <name>', 'chromium, firefox or webkit (firefox and webkit need Playwright\'s own builds)', 'chromium')
    .option('--backend <provider>', 'onnxruntime-web execution provider: wasm, webgpu or webgl', 'wasm')
    .option('--executable <path>', 'browser binary to use instead of Playwright\'s own or the system Chromium')
    .option('--headed', 'show the browser window')
    .option('--threads <n>', 'WASM threads when a job does not say (default: the browser\'s hardwareConcurrency)')
    .option('--host <key>', 'same-host key: agents sharing one never measure at the same time (default: hostname)')
    .option('--hang-timeout <ms>', 'a page holding a job without progress this long is restarted (the job is re-leased)', '180000')
    .option('--grace-ms <ms>', 'on SIGINT/SIGTERM, how long a running job may finish before it is released', '5000')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (opts: BrowserOptions) => {
      const token = opts.token ?? process.env.OFA_FARM_DEVICE_TOKEN;
      if (!token) throw new ValidationError('a device token is required: --token T or OFA_FARM_DEVICE_TOKEN');
      const graceMs = parseInteger(opts.graceMs, '--grace-ms', 0, 600_000);
      const config = {
        server: opts.server,
        token,
        browser: parseChoice(opts.browser, '--browser', ['chromium', 'firefox', 'webkit'] as const),
        backend: parseChoice(opts.backend, '--backend', ['wasm', 'webgpu', 'webgl'] as const),
        executable: opts.executable,
        headed: opts.headed === true,
        threads: opts.threads === undefined ? undefined : parseInteger(opts.threads, '--threads', 1, 64),
        host: opts.host,
        hangMs: parseInteger(opts.hangTimeout, '--hang-timeout', 1_000, 3_600_000),
        graceMs,
        logLevel: parseChoice(opts.logLevel, '--log-level', ['debug', 'info', 'warn', 'error'] as const),
      };
      // Loaded here so that other commands do not pay for Playwright.
      const { start } = await import('../../agents/browser/main');
      const running = await start(config, { writeLog: (line) => ctx.io.err.write(line) });
      ctx.io.err.write(`ofa-farm: browser: ${running.browser}\n`);
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          ctx.io.err.write(`ofa-farm: ${signal}: stopping (a running job gets ${graceMs} ms to finish, then is released)\n`);
          void running.stop(`received ${signal}`);
        } else {
          ctx.io.err.write(`ofa-farm: ${signal} again: exiting now\n`);
          process.exit(130);
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const exit = await running.finished;
        if (exit.code === 'auth_failed' || exit.code === 'bad_version') throw new ValidationError(`the coordinator refused this agent (${exit.code}): ${exit.message}`);
        if (exit.fatal) throw new FarmError(`browser agent ended (${exit.code}): ${exit.message}`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
