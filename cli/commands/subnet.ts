/** `ofa-farm subnet sample|stats`: configs of a space and their analytic cost. */
import type { Command } from 'commander';
import { parseSubnetConfigJson } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { ValidationError } from '../../core/errors';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { subnetId } from '../../core/subnet-id';
import { commandGroup, type CliContext } from '../main';
import { parseInteger, parseSpace } from '../options';
import { readLines, writeJsonLine } from '../output';

export function registerSubnetCommands(program: Command, ctx: CliContext): void {
  const subnet = commandGroup(program, 'subnet', 'Sample subnets, count their cost, export them to ONNX');

  subnet
    .command('sample')
    .description('Print N uniformly sampled subnet configs, one JSON object per line')
    .requiredOption('--space <name>', 'search space')
    .option('--count <n>', 'how many configs', '1')
    .option('--seed <k>', 'random seed', '0')
    .option('--json', 'JSON lines output (the default; accepted for symmetry)')
    .action((opts: { space: string; count: string; seed: string }) => {
      const space = parseSpace(opts.space);
      const count = parseInteger(opts.count, '--count', 1, 1_000_000);
      const rng = createRng(parseInteger(opts.seed, '--seed', 0));
      for (let i = 0; i < count; i++) writeJsonLine(ctx.io, sampleConfig(space, rng));
    });

  subnet
    .command('stats')
    .description('MACs and params of configs: one JSON line {"id","space","r","macs","params"} per config')
    .requiredOption('--space <name>', 'search space')
    .requiredOption('--config <json>', 'config JSON, or - to read JSON lines from stdin')
    .option('--json', 'JSON lines output (the default)')
    .action(async (opts: { space: string; config: string }) => {
      const space = parseSpace(opts.space);
      const texts = opts.config === '-' ? await readLines(ctx.io.stdin) : [opts.config];
      if (texts.length === 0) throw new ValidationError('--config - read no configs from stdin');
      const configs = texts.map((text, line) => {
        try {
          return parseSubnetConfigJson(space, text);
        } catch (error) {
          if (texts.length > 1 && error instanceof ValidationError) throw new ValidationError(`line ${line + 1}: ${error.message}`);
          throw error;
        }
      });
      for (const config of configs) {
        const cost = subnetCost(space, config);
        writeJsonLine(ctx.io, { id: subnetId(space, config), space: space.name, r: config.r, macs: cost.macs, params: cost.params });
      }
    });
}
