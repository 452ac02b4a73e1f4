/** `ofa-farm agent edge`: this machine joins a coordinator as an onnxruntime-node (CPU) device. */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FarmError, ValidationError } from '../../core/errors';
import { commandGroup, type CliContext } from '../main';
import { parseChoice, parseInteger } from '../options';

interface EdgeOptions {
  server: string;
  token?: string;
  threads?: string;
  cache?: string;
  host?: string;
  graceMs: string;
  logLevel: string;
}

export function registerAgentEdgeCommand(program: Command, ctx: CliContext): void {
  const agent = commandGroup(program, 'agent', 'Run a device agent that measures models for a coordinator');
  agent
    .command('edge')
    .description('Measure models on this machine with onnxruntime-node (CPU); runs until Ctrl-C')
    .option('--server <url>', 'coordinator URL (or OFA_FARM_SERVER)', process.env.OFA_FARM_SERVER ?? 'http://127.0.0.1:7070')
    .option('--token <token>', 'device token from `ofa-farm device add` (prefer OFA_FARM_DEVICE_TOKEN: flags show in ps)')
    .option('--threads <n>', 'intra-op threads (default: every core)')
    .option('--cache <dir>', 'model cache and result outbox directory (default: ~/.cache/ofa-farm)')
    .option('--host <key>', 'same-host key: agents sharing one never measure at the same time (default: hostname)')
    .option('--grace-ms <ms>', 'on SIGINT/SIGTERM, how long a running job may finish before it is released', '5000')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (opts: EdgeOptions) => {
      const token = opts.token ?? process.env.OFA_FARM_DEVICE_TOKEN;
      if (!token) throw new ValidationError('a device token is required: --token T or OFA_FARM_DEVICE_TOKEN');
      const xdg = process.env.XDG_CACHE_HOME;
      const graceMs = parseInteger(opts.graceMs, '--grace-ms', 0, 600_000);
      const config = {
        server: opts.server,
        token,
        threads: opts.threads === undefined ? undefined : parseInteger(opts.threads, '--threads', 1, 1024),
        cacheDir: opts.cache ?? (xdg ? join(xdg, 'ofa-farm') : join(homedir(), '.cache', 'ofa-farm')),
        host: opts.host,
        graceMs,
        logLevel: parseChoice(opts.logLevel, '--log-level', ['debug', 'info', 'warn', 'error'] as const),
      };
      // Loaded here so that other commands do not pay for onnxruntime's native binding.
      const { start } = await import('../../agents/edge/main');
      const running = await start(config, { writeLog: (line) => ctx.io.err.write(line) });
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          ctx.io.err.write(`ofa-farm: ${signal}: stopping (a running job gets ${graceMs} ms to finish, then is released)\n`);
          void running.stop({ graceMs, reason: `received ${signal}` });
        } else {
          ctx.io.err.write(`ofa-farm: ${signal} again: exiting now; unsent results stay in the outbox\n`);
          process.exit(130);
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const exit = await running.finished;
        if (exit.code === 'auth_failed' || exit.code === 'bad_version') {
          throw new ValidationError(`the coordinator refused this agent (${exit.code}): ${exit.message}`);
        }
        if (exit.fatal) throw new FarmError(`agent ended (${exit.code}): ${exit.message}`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
