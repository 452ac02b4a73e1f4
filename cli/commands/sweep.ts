/** `ofa-farm sweep start|status|list|cancel`: measure subnets of a space on a device. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors';
import { SPACE_NAMES } from '../../core/space';
import { PLAN_STRATEGIES } from '../../server/scheduler/sweep-plan';
import { clientFor, unwrap, withServerOptions, type ServerOptions } from '../client';
import { commandGroup, type CliContext } from '../main';
import { parseChoice, parseInteger, parseNumber } from '../options';
import { formatTable, writeJsonLine } from '../output';
import { followSweep, progressLine } from '../sweep-follow';
import { formatDuration, parseDuration, parseStartTime } from '../time-format';

const STRATEGIES = [...PLAN_STRATEGIES, 'blocks'] as const;

interface StartOptions extends ServerOptions {
  device: string;
  space: string;
  count?: string;
  strategy: string;
  configs?: string;
  seed?: string;
  runs?: string;
  warmup?: string;
  minTimeMs?: string;
  maxCv?: string;
  threads?: string;
  anchorEvery?: string;
  resolutions?: string;
  at?: string;
  every?: string;
  detach?: boolean;
  json?: boolean;
}

/** JSON configs, one per line (blank lines and lines starting with # skipped); bad JSON names its line. */
export function readConfigsFile(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError(`--configs ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const out: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    try {
      out.push(JSON.parse(trimmed));
    } catch {
      throw new ValidationError(`--configs ${path} line ${i + 1} is not valid JSON`);
    }
  });
  return out;
}

export function registerSweepCommands(program: Command, ctx: CliContext): void {
  const sweep = commandGroup(program, 'sweep', 'Latency sweeps: measure subnets of a space on a device');

  withServerOptions(
    sweep
      .command('start')
      .description('Create a sweep and follow it with a progress bar until done (--detach returns at once)')
      .requiredOption('--device <name>', 'device to measure on')
      .requiredOption('--space <name>', `search space: ${SPACE_NAMES.join(', ')}`)
      .option('--count <n>', 'how many subnets (for list: the first N configs)')
      .option('--strategy <s>', `${STRATEGIES.join(', ')} (blocks: every part of the space, for lookup-table twins)`, 'random')
      .option('--configs <file>', 'for --strategy list: JSON configs, one per line')
      .option('--resolutions <list>', 'for --strategy blocks: resolutions such as 160,192,224 (default: the whole grid)')
      .option('--seed <k>', 'sampling seed (default: random, printed)')
      .option('--runs <r>', 'timed runs per measurement (at least; default 30)')
      .option('--warmup <w>', 'warm-up runs (at least; default 5)')
      .option('--min-time-ms <ms>', 'timed runs last at least this long (default 1000)')
      .option('--max-cv <x>', 're-measure when the coefficient of variation is above this (default 0.1)')
      .option('--threads <n>', 'intra-op threads (default: the agent\'s)')
      .option('--anchor-every <k>', 're-measure the anchor subnet every K subnets (0: never)', '10')
      .option('--at <time>', 'start later: ISO 8601 time or +DURATION (+10m)')
      .option('--every <duration>', 'repeat (24h, 7d...), re-measuring the same subnets')
      .option('--detach', 'return once the sweep is created')
      .option('--json', 'print the sweep as one JSON line'),
  ).action(async (opts: StartOptions) => {
    const strategy = parseChoice(opts.strategy, '--strategy', STRATEGIES);
    const space = parseChoice(opts.space, '--space', SPACE_NAMES);
    if (strategy === 'list' && !opts.configs) throw new ValidationError('--strategy list needs --configs FILE');
    if (strategy !== 'list' && opts.configs) throw new ValidationError('--configs goes with --strategy list');
    if (strategy !== 'list' && strategy !== 'blocks' && opts.count === undefined) throw new ValidationError('--count is required');
    if (strategy !== 'blocks' && opts.resolutions) throw new ValidationError('--resolutions goes with --strategy blocks');
    const settings = {
      ...(opts.runs !== undefined ? { runs: parseInteger(opts.runs, '--runs', 1, 100_000) } : {}),
      ...(opts.warmup !== undefined ? { warmupRuns: parseInteger(opts.warmup, '--warmup', 0, 100_000) } : {}),
      ...(opts.minTimeMs !== undefined ? { minTimedMs: parseNumber(opts.minTimeMs, '--min-time-ms', 0, 600_000) } : {}),
      ...(opts.maxCv !== undefined ? { maxCv: parseNumber(opts.maxCv, '--max-cv', 0.0001, 10) } : {}),
      ...(opts.threads !== undefined ? { threads: parseInteger(opts.threads, '--threads', 1, 1024) } : {}),
    };
    const { client, target } = clientFor(opts);
    const created = (
      await unwrap(
        client.api.sweeps.$post({
          json: {
            device: opts.device,
            space,
            strategy,
            count: opts.count === undefined ? undefined : parseInteger(opts.count, '--count', 1, 10_000),
            configs: opts.configs ? readConfigsFile(opts.configs) : undefined,
            configsFile: opts.configs,
            resolutions: opts.resolutions === undefined ? undefined : opts.resolutions.split(',').map((r) => parseInteger(r.trim(), '--resolutions', 1, 4096)),
            seed: opts.seed === undefined ? undefined : parseInteger(opts.seed, '--seed', 0),
            settings,
            anchorEvery: parseInteger(opts.anchorEvery ?? '10', '--anchor-every', 0, 10_000),
            startAt: opts.at === undefined ? undefined : parseStartTime(opts.at, '--at'),
            everyMs: opts.every === undefined ? undefined : parseDuration(opts.every, '--every'),
          },
        }),
      )
    ).sweep;
    if (!opts.json) {
      const schedule = `${created.state === 'scheduled' ? `starts ${created.startAt}` : 'started'}${created.repeatEveryMs ? `, repeats every ${formatDuration(created.repeatEveryMs)}` : ''}`;
      ctx.io.out.write(`sweep ${created.id}: ${created.count} ${created.space} subnets (${created.strategy}, seed ${created.seed}) + ${created.progress.total - created.count} anchor runs on ${created.deviceName}; ${schedule}\n`);
    }
    if (opts.detach || created.state !== 'running') {
      if (opts.json) writeJsonLine(ctx.io, created);
      return;
    }
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      const final = await followSweep(client, created.id, ctx.io, abort.signal);
      if (opts.json) writeJsonLine(ctx.io, final);
      else if (abort.signal.aborted) ctx.io.out.write(`stopped following; sweep ${created.id} goes on (ofa-farm sweep status ${created.id} --server ${target.url})\n`);
      else ctx.io.out.write(`sweep ${final.id} ${final.state}: ${final.progress.done} measured, ${final.progress.failed} failed; see \`ofa-farm measurements --device ${final.deviceName} --sweep ${final.id}\`\n`);
    } finally {
      process.off('SIGINT', onSigint);
    }
  });

  withServerOptions(sweep.command('status').description('Progress of a sweep, with the reason of every failed job').argument('<id>', 'sweep id').option('--json', 'one JSON line')).action(
    async (id: string, opts: ServerOptions & { json?: boolean }) => {
      const { client } = clientFor(opts);
      parseInteger(id, 'sweep id', 1);
      const { sweep: s } = await unwrap(client.api.sweeps[':id'].$get({ param: { id } }));
      if (opts.json) return writeJsonLine(ctx.io, s);
      ctx.io.out.write(`${progressLine(s)}\n`);
      ctx.io.out.write(`device ${s.deviceName}, ${s.space}, ${s.strategy} (seed ${s.seed}), ${s.count} subnets, anchor every ${s.params.anchorEvery || '-'}\n`);
      ctx.io.out.write(`settings: ${JSON.stringify(s.settings)}\n`);
      ctx.io.out.write(`created ${s.createdAt}, starts ${s.startAt}${s.repeatEveryMs ? `, repeats every ${formatDuration(s.repeatEveryMs)}` : ''}${s.finishedAt ? `, finished ${s.finishedAt}` : ''}${s.cancelReason ? `, cancelled: ${s.cancelReason}` : ''}\n`);
      if (s.failures.length > 0) {
        ctx.io.out.write(formatTable(['job', 'subnet', 'attempts', 'reason'], s.failures.map((f) => [f.jobId, f.subnetId ?? '-', f.attempts, f.error ?? '-'])));
      }
    },
  );

  withServerOptions(
    sweep
      .command('list')
      .description('Sweeps, newest first, with progress and schedule')
      .option('--device <name>', 'only this device')
      .option('--active', 'only scheduled or running sweeps')
      .option('--limit <n>', 'at most this many', '50')
      .option('--json', 'one JSON object per sweep'),
  ).action(async (opts: ServerOptions & { device?: string; active?: boolean; limit: string; json?: boolean }) => {
    const { client } = clientFor(opts);
    const { sweeps } = await unwrap(
      client.api.sweeps.$get({ query: { device: opts.device, active: opts.active ? '1' : undefined, limit: String(parseInteger(opts.limit, '--limit', 1, 10_000)) } }),
    );
    if (opts.json) return sweeps.forEach((s) => writeJsonLine(ctx.io, s));
    if (sweeps.length === 0) return void ctx.io.out.write('no sweeps\n');
    const rows = sweeps.map((s) => {
      const p = s.progress;
      return [s.id, s.deviceName, s.space, s.strategy, s.state, `${p.done + p.failed + p.cancelled}/${p.total}`, p.failed, s.startAt.replace(/\.\d+Z$/, 'Z'), s.repeatEveryMs ? formatDuration(s.repeatEveryMs) : '-', s.previousSweepId ?? '-'];
    });
    ctx.io.out.write(formatTable(['id', 'device', 'space', 'strategy', 'state', 'finished', 'failed', 'start', 'every', 'repeats'], rows));
  });

  withServerOptions(sweep.command('cancel').description('Cancel a sweep (and its scheduled repeats); jobs being measured are told to stop').argument('<id>', 'sweep id').option('--reason <text>', 'why').option('--json', 'one JSON line')).action(
    async (id: string, opts: ServerOptions & { reason?: string; json?: boolean }) => {
      parseInteger(id, 'sweep id', 1);
      const { client } = clientFor(opts);
      const { sweep: s } = await unwrap(client.api.sweeps[':id'].cancel.$post({ param: { id }, json: { reason: opts.reason } }));
      if (opts.json) return writeJsonLine(ctx.io, s);
      ctx.io.out.write(`sweep ${s.id} cancelled: ${s.cancelledJobs} queued jobs cancelled, ${s.stopping} being measured told to stop${s.cancelledSuccessors.length ? `, scheduled repeats ${s.cancelledSuccessors.join(', ')} cancelled` : ''}\n`);
    },
  );
}
