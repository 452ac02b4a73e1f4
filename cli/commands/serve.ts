/** `ofa-farm serve`: the coordinator (HTTP API + agent WebSocket on one port) until Ctrl-C. */
import type { Command } from 'commander';
import { DEFAULT_HOME, DEFAULT_PORT } from '../../server/home';
import { dashboardUrl } from '../../server/http/dashboard/url';
import type { CliContext } from '../main';
import { parseInteger } from '../options';

interface ServeOptions {
  port: string;
  host: string;
  db?: string;
  home?: string;
  heartbeatMs: string;
  leaseMs: string;
  offlineAfterMs: string;
}

/** A log line with a timestamp, for stderr. */
export function logLine(line: string): string {
  return `${new Date().toISOString()} ${line}\n`;
}

export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('Run the coordinator: HTTP API, artifacts and the agent WebSocket on one port, until Ctrl-C')
    .option('--port <n>', 'port to listen on (0: any free port)', String(DEFAULT_PORT))
    .option('--host <addr>', 'address to bind: 127.0.0.1 keeps the farm on this machine, 0.0.0.0 lets agents elsewhere join', '127.0.0.1')
    .option('--db <url>', 'PostgreSQL URL (default: DATABASE_URL, else PGlite in the farm home); several coordinators may share one PostgreSQL')
    .option('--home <dir>', `farm home: embedded database and admin token (default: OFA_FARM_HOME or ${DEFAULT_HOME})`)
    .option('--heartbeat-ms <ms>', 'how often agents send heartbeats', '2000')
    .option('--lease-ms <ms>', 'job lease length (heartbeats extend it)', '60000')
    .option('--offline-after-ms <ms>', 'a device silent this long goes offline and its job returns to the queue', '15000')
    .action(async (opts: ServeOptions) => {
      const { startCoordinator } = await import('../../server/main');
      const coordinator = await startCoordinator(
        {
          port: parseInteger(opts.port, '--port', 0, 65535),
          host: opts.host,
          home: opts.home ?? process.env.OFA_FARM_HOME ?? DEFAULT_HOME,
          dbUrl: opts.db ?? process.env.DATABASE_URL ?? null,
          adminToken: process.env.OFA_FARM_ADMIN_TOKEN,
          heartbeatMs: parseInteger(opts.heartbeatMs, '--heartbeat-ms', 100, 600_000),
          leaseMs: parseInteger(opts.leaseMs, '--lease-ms', 500, 24 * 3600_000),
          offlineAfterMs: parseInteger(opts.offlineAfterMs, '--offline-after-ms', 300, 3600_000),
        },
        { log: (line) => ctx.io.err.write(logLine(line)) },
      );
      ctx.io.out.write(`ofa-farm coordinator listening on ${coordinator.url} (agents: ${coordinator.url.replace(/^http/, 'ws')}/agent/ws)\n`);
      ctx.io.out.write(`dashboards: ${dashboardUrl(coordinator.url)}\n`);
      if (coordinator.adminTokenCreated) {
        ctx.io.out.write(`admin token (shown once; stored with mode 0600 in ${coordinator.adminTokenPath}):\n  ${coordinator.adminToken}\n`);
      } else if (coordinator.adminTokenPath) {
        ctx.io.out.write(`admin token: in ${coordinator.adminTokenPath}\n`);
      } else {
        ctx.io.out.write('admin token: from OFA_FARM_ADMIN_TOKEN\n');
      }
      await waitForSignal(ctx);
      await coordinator.stop();
    });
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function waitForSignal(ctx: CliContext): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (seen) {
        ctx.io.err.write(`ofa-farm: ${signal} again: exiting now\n`);
        process.exit(130);
      }
      seen = true;
      ctx.io.err.write(`ofa-farm: ${signal}: stopping\n`);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
