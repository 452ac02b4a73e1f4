/**
 * `ofa-farm twin show|fit --device NAME --space S`: a device's latency twins, every family side by
 * side with its held-out (or CV) ±5% / ±10% / RMSPE / Kendall τ, the active one marked; `fit`
 * refits now (twins also refit by themselves when a sweep on the device completes).
 */
import type { Command } from 'commander';
import type { SpaceName } from '../../core/space';
import { clientFor, unwrap, withServerOptions, type ServerOptions } from '../client';
import { commandGroup, type CliContext } from '../main';
import { parseChoice, parseSpace } from '../options';
import { formatTable, writeJsonLine, type Cell } from '../output';

const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(1)}%` : '-');

export function registerTwinCommands(program: Command, ctx: CliContext): void {
  const twin = commandGroup(program, 'twin', 'Latency twins of a device: per-family quality, refits');

  withServerOptions(
    twin
      .command('show')
      .description('Twin versions of a device with the quality of every family (newest version first)')
      .requiredOption('--device <name>', 'device')
      .option('--space <name>', 'only this space')
      .option('--all', 'every version, not only the newest')
      .option('--format <f>', 'table or json', 'table'),
  ).action(async (opts: ServerOptions & { device: string; space?: string; all?: boolean; format: string }) => {
    const format = parseChoice(opts.format, '--format', ['table', 'json'] as const);
    const space = opts.space ? parseSpace(opts.space).name : undefined;
    const { client } = clientFor(opts);
    const { twins } = await unwrap(client.api.devices[':name'].twins.$get({ param: { name: opts.device }, query: { space } }));
    const newest = new Map<string, number>();
    for (const t of twins) newest.set(t.space, Math.max(newest.get(t.space) ?? 0, t.version));
    const shown = opts.all ? twins : twins.filter((t) => t.version === newest.get(t.space));
    if (format === 'json') return shown.forEach((t) => writeJsonLine(ctx.io, t));
    if (shown.length === 0) return void ctx.io.out.write(`${opts.device} has no twins yet: they are fitted when a sweep on it completes (or \`ofa-farm twin fit\`)\n`);
    const rows: Cell[][] = shown.map((t) => {
      const m = t.metrics as Record<string, unknown>;
      return [t.space, t.version, `${t.family}${t.active ? ' *' : ''}`, String(m.basis ?? ''), pct(m.within5), pct(m.within10), pct(m.rmspe), typeof m.kendallTau === 'number' ? m.kendallTau.toFixed(3) : '-', t.nMeasurements];
    });
    ctx.io.out.write(formatTable(['space', 'version', 'family (* active)', 'judged on', '±5%', '±10%', 'RMSPE', 'Kendall τ', 'subnets'], rows));
    for (const spaceName of newest.keys()) {
      const { repeatability: r } = await unwrap(client.api.devices[':name'].repeatability.$get({ param: { name: opts.device }, query: { space: spaceName as SpaceName } }));
      ctx.io.out.write(
        r
          ? `noise ceiling (${spaceName}): ${r.pairs} re-measurements of ${r.subnets} subnets agree within ±5% ${pct(r.within5)}, ±10% ${pct(r.within10)}, RMSPE ${pct(r.rmspe)}` +
              `${r.kendallTau === null ? '' : `, τ ${r.kendallTau.toFixed(3)}`}; a twin judged on single measurements cannot be expected to do better\n`
          : `noise ceiling (${spaceName}): unknown, no subnet measured twice (re-run a sweep's subnets with --strategy list, or keep anchors on)\n`,
      );
    }
  });

  withServerOptions(
    twin
      .command('fit')
      .description('Refit the twins of a device now from everything it has measured')
      .requiredOption('--device <name>', 'device')
      .requiredOption('--space <name>', 'search space')
      .option('--statistic <s>', 'median or min of each measurement', 'median')
      .option('--json', 'one JSON line with the fit report'),
  ).action(async (opts: ServerOptions & { device: string; space: string; statistic: string; json?: boolean }) => {
    const space = parseSpace(opts.space).name;
    const statistic = parseChoice(opts.statistic, '--statistic', ['median', 'min'] as const);
    const { client } = clientFor(opts);
    const fitted = await unwrap(client.api.devices[':name'].twins.refit.$post({ param: { name: opts.device }, json: { space, statistic } }));
    if (opts.json) return writeJsonLine(ctx.io, fitted);
    const { report } = fitted;
    ctx.io.out.write(`twin ${opts.device}/${space} version ${fitted.version}: ${report.counts.samples} subnets (${report.counts.train} fitted, ${report.counts.heldOut} held out); active: ${report.active}\n`);
    const rows: Cell[][] = report.families.map((f) => {
      const m = f.heldOut ?? f.cv;
      return [f.family, f.error ?? (f.heldOut ? 'held-out' : 'cv'), pct(m?.within5), pct(m?.within10), pct(m?.rmspe), m ? (m.kendallTau ?? 0).toFixed(3) : '-', f.cv ? pct(f.cv.rmspe) : '-'];
    });
    ctx.io.out.write(formatTable(['family', 'judged on', '±5%', '±10%', 'RMSPE', 'Kendall τ', 'CV RMSPE'], rows));
  });
}
