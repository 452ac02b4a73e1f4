/**
 * `ofa-farm demo` (`npm start`): a coordinator on PGlite in ./.ofa-farm, a local edge agent
 * process (and a headless browser agent when a browser is found), a sweep of 30 ofa-mbv3-w1.0
 * subnets on each, a table of what was measured, each device's twin and Pareto front, then the
 * coordinator keeps serving until Ctrl-C (`--exit`: stop when done).
 * `--train` first trains ofa-mbv3-mini with the quick schedule (or reuses a checkpoint), builds
 * its accuracy dataset and predictor, then sweeps mini subnets: the fronts show predicted top-1.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { errorMessage, ValidationError } from '../../core/errors';
import { SPACE_NAMES } from '../../core/space';
import { MIN_ACCURACY_RECORDS } from '../../models/accuracy-predictor-fit';
import { DEFAULT_HOME, DEFAULT_PORT } from '../../server/home';
import { dashboardUrl } from '../../server/http/dashboard/url';
import { browserAgentStep } from '../demo/browser-step';
import { frontsStep } from '../demo/fronts-step';
import { accuracyStep } from '../demo/accuracy-step';
import type { DemoContext, DemoStep, DemoTrainOptions } from '../demo/context';
import { edgeAgentStep, startDemoCoordinator } from '../demo/local-steps';
import { resultsStep, sweepStep } from '../demo/sweep-step';
import { DEMO_TRAIN_SPACE, trainStep } from '../demo/train-step';
import type { CliContext } from '../main';
import { parseChoice, parseInteger } from '../options';
import { waitForSignal } from './serve';

/** The demo, in order. A new feature adds its step here. The first two do nothing without --train. */
export const DEMO_STEPS: DemoStep[] = [trainStep, accuracyStep, edgeAgentStep, browserAgentStep, sweepStep, resultsStep, frontsStep];

const DEFAULT_SPACE = 'ofa-mbv3-w1.0';
export const DEMO_ACCURACY_COUNT = 150;

interface DemoFlags {
  exit?: boolean;
  port: string;
  home?: string;
  space?: string;
  count: string;
  seed: string;
  train?: boolean;
  checkpoint?: string;
  accuracyCount: string;
  maxSteps?: string;
  trainLimit?: string;
  validLimit?: string;
  data?: string;
}

function trainOptions(flags: DemoFlags): DemoTrainOptions | null {
  const trainOnly = (['checkpoint', 'maxSteps', 'trainLimit', 'validLimit', 'data'] as const).filter((k) => flags[k] !== undefined);
  if (!flags.train) {
    if (trainOnly.length > 0) throw new ValidationError(`--${trainOnly[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} only applies with --train`);
    return null;
  }
  if (flags.space !== undefined && flags.space !== DEMO_TRAIN_SPACE) throw new ValidationError(`--train trains ${DEMO_TRAIN_SPACE} on Fashion-MNIST: --space must be ${DEMO_TRAIN_SPACE} (or left out)`);
  const optional = (value: string | undefined, option: string, min: number) => (value === undefined ? undefined : parseInteger(value, option, min));
  return {
    checkpoint: flags.checkpoint,
    maxSteps: optional(flags.maxSteps, '--max-steps', 1),
    trainLimit: optional(flags.trainLimit, '--train-limit', 64),
    validLimit: optional(flags.validLimit, '--valid-limit', 1),
    accuracyCount: parseInteger(flags.accuracyCount, '--accuracy-count', MIN_ACCURACY_RECORDS, 10_000),
    data: flags.data,
  };
}

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('Coordinator + local edge agent + a sweep of 30 ofa-mbv3-w1.0 subnets, then serve until Ctrl-C (what `npm start` runs)')
    .option('--exit', 'exit when the demo is done instead of serving')
    .option('--port <n>', 'coordinator port (a free one if it is taken)', String(DEFAULT_PORT))
    .option('--home <dir>', `farm home (default: OFA_FARM_HOME or ${DEFAULT_HOME} in the current directory)`)
    .option('--space <name>', `search space (default ${DEFAULT_SPACE}; ${DEMO_TRAIN_SPACE} with --train)`)
    .option('--count <n>', 'subnets to measure', '30')
    .option('--seed <k>', 'sampling seed (the same seed measures the same subnets on every run)', '0')
    .option('--train', `first train ${DEMO_TRAIN_SPACE} on Fashion-MNIST (quick schedule, ~20 min), build its accuracy dataset and predictor: fronts then show predicted top-1`)
    .option('--checkpoint <file>', 'with --train: use this trained .ofa supernet instead of training')
    .option('--accuracy-count <n>', 'with --train: subnets measured for the accuracy dataset', String(DEMO_ACCURACY_COUNT))
    .option('--max-steps <n>', 'with --train: cap every training phase at N steps (smoke runs)')
    .option('--train-limit <n>', 'with --train: train and recalibrate on the first N training images only (smoke runs)')
    .option('--valid-limit <n>', 'with --train: measure accuracy on the first N held-out images only (default: all 10,000)')
    .option('--data <dir>', 'with --train: directory with the Fashion-MNIST .gz files')
    .action(async (flags: DemoFlags) => {
      const train = trainOptions(flags);
      const home = resolve(flags.home ?? process.env.OFA_FARM_HOME ?? DEFAULT_HOME);
      mkdirSync(join(home, 'logs'), { recursive: true });
      const logPath = join(home, 'logs', 'coordinator.log');
      const base = {
        io: ctx.io,
        options: {
          home,
          port: parseInteger(flags.port, '--port', 0, 65535),
          space: parseChoice(flags.space ?? (train ? DEMO_TRAIN_SPACE : DEFAULT_SPACE), '--space', SPACE_NAMES),
          count: parseInteger(flags.count, '--count', 1, 1000),
          seed: parseInteger(flags.seed, '--seed', 0),
          exit: Boolean(flags.exit),
          train,
        },
        devices: [],
        notes: [],
        cleanups: [],
        log: (line: string) => appendFileSync(logPath, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 }),
      };
      ctx.io.out.write(`ofa-farm demo: farm home ${home} (coordinator log: ${logPath})\n`);
      const started = performance.now();
      const demo: DemoContext = { ...base, ...(await startDemoCoordinator(base)) };
      try {
        ctx.io.out.write(`coordinator ${demo.coordinator.url} (PGlite in ${home})\n`);
        ctx.io.out.write(`dashboards (live while the demo runs): ${dashboardUrl(demo.coordinator.url)}\n`);
        if (demo.coordinator.adminTokenCreated) ctx.io.out.write(`admin token (shown once; stored with mode 0600 in ${demo.coordinator.adminTokenPath}):\n  ${demo.coordinator.adminToken}\n`);
        for (const step of DEMO_STEPS) await step.run(demo);
        ctx.io.out.write(`\ndemo done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
        ctx.io.out.write(`coordinator: ${demo.coordinator.url}  (admin token in ${demo.coordinator.adminTokenPath ?? 'OFA_FARM_ADMIN_TOKEN'})\n`);
        ctx.io.out.write(`dashboards: ${dashboardUrl(demo.coordinator.url)}  (devices, sweeps, Pareto fronts, twin quality, subnets)\n`);
        for (const note of demo.notes) ctx.io.out.write(`${note}\n`);
        ctx.io.out.write(`try: ofa-farm device list | ofa-farm sweep list | ofa-farm measurements --device local-edge --format csv\n`);
        if (!demo.options.exit) {
          ctx.io.out.write('serving until Ctrl-C\n');
          await waitForSignal(ctx);
        }
      } finally {
        for (const cleanup of demo.cleanups.reverse()) {
          await cleanup().catch((error) => ctx.io.err.write(`ofa-farm: cleanup failed: ${errorMessage(error)}\n`));
        }
      }
    });
}
