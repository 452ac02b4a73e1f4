/**
 * `ofa-farm pareto --device NAME --space S [--budgets 10,15,20 | --auto [N]] [--objective accuracy|macs]
 * [--verify] [--format table|json]`: the best subnet per latency budget on a device (its active
 * twin; the newest accuracy predictor, or MACs labelled as a proxy), stored by the coordinator
 * with the versions that made it. --verify measures the chosen subnets on the device and reports
 * measured latency against budget and prediction.
 */
import type { Command } from 'commander';
import { NotFoundError, ValidationError, errorMessage } from '../../core/errors';
import type { StoredFront } from '../../server/search/front-store';
import { clientFor, unwrap, withServerOptions, type FarmClient, type ServerOptions } from '../client';
import type { CliContext } from '../main';
import { parseChoice, parseInteger, parseNumber, parseSpace } from '../options';
import { formatTable, writeJsonLine, type Cell, type Io } from '../output';
import { followSweep } from '../sweep-follow';

interface ParetoOptions extends ServerOptions {
  device: string;
  space: string;
  budgets?: string;
  auto?: string | boolean;
  objective: string;
  seed: string;
  generations?: string;
  verify?: boolean;
  calibrate?: boolean;
  run?: string;
  format: string;
}

/** Share of verified points whose measured latency is within `factor` x their budget. */
export function verifiedWithin(front: Pick<StoredFront, 'points'>, factor = 1.05): { measured: number; within: number } {
  const measured = front.points.filter((p) => p.measuredLatencyMs !== null && p.budgetMs !== null);
  return { measured: measured.length, within: measured.filter((p) => p.measuredLatencyMs! <= factor * p.budgetMs!).length };
}

export function frontTable(front: StoredFront): string {
  const accuracy = front.objective.name === 'accuracy';
  const verified = front.points.some((p) => p.measuredLatencyMs !== null);
  const headers = ['budget ms', 'predicted ms', accuracy ? 'pred. top-1' : 'MMACs (proxy)', ...(accuracy ? ['MMACs'] : []), 'r', 'subnet', ...(verified ? ['measured ms', 'meas/budget', 'meas/pred'] : [])];
  const rows: Cell[][] = front.points.map((p) => [
    p.budgetMs!.toFixed(2),
    p.predictedLatencyMs.toFixed(2),
    accuracy ? `${(100 * p.predictedAccuracy!).toFixed(2)}%` : (p.macs / 1e6).toFixed(1),
    ...(accuracy ? [(p.macs / 1e6).toFixed(1)] : []),
    p.config.r,
    p.subnetId,
    ...(verified
      ? p.measuredLatencyMs === null
        ? ['-', '-', '-']
        : [p.measuredLatencyMs.toFixed(2), (p.measuredLatencyMs / p.budgetMs!).toFixed(3), (p.measuredLatencyMs / p.predictedLatencyMs).toFixed(3)]
      : []),
  ]);
  return formatTable(headers, rows);
}

/**
 * For the demo: waits (bounded) until each device has a twin (fitted by the coordinator when its
 * sweep completed), then prints its front on `auto` budgets: predicted accuracy when the space has
 * a predictor, else MACs labelled as a proxy.
 */
export async function printDeviceFronts(
  client: FarmClient,
  io: Io,
  devices: readonly string[],
  opts: { space: string; auto?: number; waitMs?: number; generations?: number; signal?: AbortSignal },
): Promise<StoredFront[]> {
  const fronts: StoredFront[] = [];
  for (const name of devices) {
    const api = client.api.devices[':name'];
    const deadline = Date.now() + (opts.waitMs ?? 120_000);
    let ready = false;
    while (!ready && Date.now() < deadline && !opts.signal?.aborted) {
      const { twins } = await unwrap(api.twins.$get({ param: { name }, query: { space: opts.space } }));
      ready = twins.length > 0;
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (!ready) {
      io.out.write(`${name}: no latency twin for ${opts.space} yet (it is fitted when a sweep on the device completes)\n`);
      continue;
    }
    const query = (objective: string) => ({
      space: opts.space,
      auto: String(opts.auto ?? 5),
      objective,
      ...(opts.generations !== undefined ? { generations: String(opts.generations) } : {}),
    });
    let front: StoredFront;
    try {
      front = (await unwrap(api.pareto.$get({ param: { name }, query: query('accuracy') }))) as unknown as StoredFront;
    } catch (error) {
      if (!(error instanceof NotFoundError) || !/accuracy predictor/.test(errorMessage(error))) throw error;
      front = (await unwrap(api.pareto.$get({ param: { name }, query: query('macs') }))) as unknown as StoredFront;
    }
    const what = front.objective.proxy ? 'objective: MACs, a PROXY for accuracy' : `objective: ${front.objective.label}`;
    io.out.write(`\nPareto front of ${name} on ${front.space} (twin ${front.twin.family} v${front.twin.version}; ${what}; run ${front.runId}):\n`);
    io.out.write(frontTable(front));
    fronts.push(front);
  }
  return fronts;
}

export function registerParetoCommand(program: Command, ctx: CliContext): void {
  withServerOptions(
    program
      .command('pareto')
      .description('Pareto front of a device: the best subnet per latency budget (and the non-dominated set) on its latency twin')
      .requiredOption('--device <name>', 'device')
      .requiredOption('--space <name>', 'search space')
      .option('--budgets <ms,...>', 'latency budgets in ms, e.g. 10,15,20')
      .option('--auto [n]', 'n budgets spread over the twin latency range (default 10)')
      .option('--objective <o>', 'accuracy (predicted top-1) or macs (most compute within the budget: a proxy)', 'accuracy')
      .option('--seed <k>', 'search seed', '0')
      .option('--generations <g>', 'evolution generations per budget (reference: 500)')
      .option('--run <id>', 'show a stored front instead of searching')
      .option('--calibrate', 'search each budget with a margin learned from the twin held-out errors, so ~95% of chosen subnets measure within 1.05x')
      .option('--verify', 'measure the chosen subnets on the device and compare with budget and prediction')
      .option('--format <f>', 'table or json', 'table'),
  ).action(async (opts: ParetoOptions) => {
    const space = parseSpace(opts.space);
    const objective = parseChoice(opts.objective, '--objective', ['accuracy', 'macs'] as const);
    const format = parseChoice(opts.format, '--format', ['table', 'json'] as const);
    if (opts.budgets !== undefined && opts.auto !== undefined) throw new ValidationError('give --budgets or --auto, not both');
    if (opts.budgets === undefined && opts.auto === undefined && opts.run === undefined) throw new ValidationError('give --budgets 10,15,20 (ms) or --auto');
    const budgets = opts.budgets?.split(',').map((b, i) => parseNumber(b.trim(), `--budgets value ${i + 1}`, 1e-6));
    const auto = opts.auto === undefined ? undefined : opts.auto === true ? 10 : parseInteger(String(opts.auto), '--auto', 1, 50);
    const query: Record<string, string | undefined> = { space: space.name, objective, seed: String(parseInteger(opts.seed, '--seed', 0)) };
    if (budgets) query.budgets = budgets.join(',');
    if (auto !== undefined) query.auto = String(auto);
    if (opts.generations !== undefined) query.generations = String(parseInteger(opts.generations, '--generations', 1, 5000));
    if (opts.run !== undefined) query.run = String(parseInteger(opts.run, '--run', 1));
    if (opts.calibrate) query.calibrate = '1';
    const { client } = clientFor(opts);
    const device = client.api.devices[':name'];
    let front = (await unwrap(device.pareto.$get({ param: { name: opts.device }, query }))) as unknown as StoredFront;
    if (opts.verify) {
      const started = await unwrap(device.pareto[':run'].verify.$post({ param: { name: opts.device, run: String(front.runId) }, json: {} }));
      ctx.io.err.write(`verifying: sweep ${started.sweepId} measures ${started.subnets} chosen subnets on ${opts.device}\n`);
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      try {
        await followSweep(client, started.sweepId, ctx.io, abort.signal);
      } finally {
        process.off('SIGINT', onSigint);
      }
      front = (await unwrap(device.pareto.$get({ param: { name: opts.device }, query: { space: space.name, run: String(front.runId) } }))) as unknown as StoredFront;
    }
    if (format === 'json') return writeJsonLine(ctx.io, front);
    const label = front.objective.proxy ? `${front.objective.label} — a PROXY, not accuracy` : front.objective.label;
    ctx.io.out.write(
      `Pareto front ${front.runId} of ${opts.device} on ${front.space}: twin ${front.twin.family} v${front.twin.version}` +
        `${front.predictor ? `, accuracy predictor v${front.predictor.version}` : ''}, seed ${front.seed}\n` +
        `objective: ${label}\n` +
        (front.calibration
          ? `calibrated: budgets searched at x${front.calibration.factor.toFixed(3)} (95% of held-out subnets measured <= ${front.calibration.ratioQ95.toFixed(3)} x predicted)\n`
          : ''),
    );
    ctx.io.out.write(frontTable(front));
    ctx.io.out.write(`non-dominated set: ${front.nonDominated.length} subnets (--format json lists them)\n`);
    const v = verifiedWithin(front);
    if (v.measured > 0) ctx.io.out.write(`verified: ${v.within}/${v.measured} chosen subnets measure within 1.05x of their budget\n`);
  });
}
