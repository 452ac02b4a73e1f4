/**
 * `ofa-farm train`: progressive shrinking of a supernet on Fashion-MNIST (TensorFlow.js), plus
 * `supernet eval` (recalibrated subnet accuracies) and `supernet calibrate` (a checkpoint whose
 * BN statistics are recalibrated for one subnet, so `subnet export --checkpoint` deploys it).
 */
import type { Command } from 'commander';
import { maxConfig, minConfig, parseSubnetConfigJson, type SubnetConfig } from '../../core/config';
import { ValidationError } from '../../core/errors';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES, type SpaceDef } from '../../core/space';
import { DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, loadFashionMnist } from '../../trainer/data/fashion-mnist';
import { splitData, type DataSplits } from '../../trainer/data/dataset';
import { progressBar } from '../../trainer/train/progress';
import { PS_PHASES, SCHEDULE_NAMES, getSchedule, jointSchedule, type PhaseName } from '../../trainer/train/schedules';
import { commandGroup, type CliContext } from '../main';
import { parseChoice, parseInteger, parseSpace } from '../options';
import { formatTable, readLines, writeJsonLine } from '../output';

interface DataOpts {
  data?: string;
  trainLimit?: string;
}

function loadData(opts: DataOpts): DataSplits {
  const trainLimit = opts.trainLimit === undefined ? undefined : parseInteger(opts.trainLimit, '--train-limit', 64);
  return splitData(loadFashionMnist(opts.data ?? DEFAULT_FASHION_MNIST_DIR).train, { trainLimit });
}

function errIsTty(ctx: CliContext): boolean {
  return (ctx.io.err as { isTTY?: boolean }).isTTY === true;
}

// TensorFlow.js loads in seconds: only the commands that train or evaluate import it.
const trainer = async () => ({
  ...(await import('../../trainer/backend')),
  ...(await import('../../trainer/checkpoint-io')),
  ...(await import('../../trainer/eval/calibrated')),
  ...(await import('../../trainer/eval/evaluate-subnets')),
  ...(await import('../../trainer/train/run')),
});

async function backendLine(ctx: CliContext): Promise<string> {
  const backend = await (await trainer()).initBackend();
  ctx.io.err.write(`backend: ${backend.description}\n`);
  return backend.description;
}

async function readConfigs(space: SpaceDef, ctx: CliContext, opts: { config?: string; sample?: string; seed?: string; extremes?: boolean }): Promise<SubnetConfig[]> {
  const configs: SubnetConfig[] = [];
  if (opts.extremes) configs.push(maxConfig(space), minConfig(space));
  if (opts.config !== undefined) {
    const texts = opts.config === '-' ? await readLines(ctx.io.stdin) : [opts.config];
    texts.forEach((text) => configs.push(parseSubnetConfigJson(space, text)));
  }
  if (opts.sample !== undefined) {
    const rng = createRng(parseInteger(opts.seed ?? '1', '--seed', 0));
    const n = parseInteger(opts.sample, '--sample', 1, 100_000);
    for (let i = 0; i < n; i++) configs.push(sampleConfig(space, rng));
  }
  if (configs.length === 0) throw new ValidationError('no subnets to evaluate: give --config JSON (or -), --sample N and/or --extremes');
  return configs;
}

export function registerTrainCommands(program: Command, ctx: CliContext): void {
  program
    .command('train')
    .description('Train a supernet with progressive shrinking on Fashion-MNIST (TensorFlow.js; prints the backend)')
    .option('--space <name>', 'search space (its input must be 1-channel 28x28 data)', 'ofa-mbv3-mini')
    .option('--schedule <name>', `phase lengths: ${SCHEDULE_NAMES.join(' | ')}`, 'quick')
    .option('--joint', 'baseline: train all subnets jointly from scratch with the same subnet-pass budget (no progressive shrinking)')
    .option('--phase <name>', `run only this phase (${PS_PHASES.join(', ')}); needs --resume unless it is the first`)
    .option('--resume <file>', 'start from this .ofa checkpoint (continues with the phase after its own)')
    .option('--teacher <file>', "the full network's checkpoint for distillation (default: recorded in the resumed checkpoint)")
    .option('--out <file>', 'final checkpoint; per-phase checkpoints go next to it as <name>.<phase>.ofa', 'supernet.ofa')
    .option('--data <dir>', `directory with the Fashion-MNIST .gz files (default ${DEFAULT_FASHION_MNIST_DIR})`)
    .option('--seed <n>', 'seed of the initial weights, data order, resolutions and subnet draws', '0')
    .option('--max-steps <n>', 'cap every phase at N steps (smoke runs; the lr schedule keeps its length)')
    .option('--train-limit <n>', 'use only the first N training images (smoke runs)')
    .option('--json', 'print one JSON line per finished phase')
    .action(async (opts: DataOpts & { space: string; schedule: string; joint?: boolean; phase?: string; resume?: string; teacher?: string; out: string; seed: string; maxSteps?: string; json?: boolean }) => {
      const space = parseSpace(opts.space);
      if (space.inputChannels !== 1 || space.numClasses !== FASHION_MNIST_CLASSES.length) {
        throw new ValidationError(`--space ${space.name} takes ${space.inputChannels}-channel images and ${space.numClasses} classes; the trainer's data is Fashion-MNIST (1 channel, 10 classes): use ofa-mbv3-mini`);
      }
      const base = getSchedule(parseChoice(opts.schedule, '--schedule', SCHEDULE_NAMES));
      const schedule = opts.joint ? jointSchedule(base) : base;
      const phase = opts.phase === undefined ? undefined : parseChoice(opts.phase, '--phase', schedule.phases.map((p) => p.name) as PhaseName[]);
      if (!opts.out.endsWith('.ofa')) throw new ValidationError(`--out ${opts.out} must end in .ofa`);
      const from = schedule.phases.find((p) => p.name === phase)?.from;
      if (from && !opts.resume) throw new ValidationError(`phase ${phase} starts from the ${from} phase's checkpoint: pass it with --resume`);
      const seed = parseInteger(opts.seed, '--seed', 0);
      const maxStepsPerPhase = opts.maxSteps === undefined ? undefined : parseInteger(opts.maxSteps, '--max-steps', 1);
      const data = loadData(opts);
      const backend = await backendLine(ctx);
      const progress = progressBar(ctx.io.err, errIsTty(ctx));
      progress.log(`training ${space.name} with schedule ${schedule.name} (${schedule.phases.map((p) => p.name).join(' -> ')}) on ${data.train.length} images, ${data.valid.length} held out`);
      const { runTraining } = await trainer();
      const result = await runTraining({
        space,
        schedule,
        out: opts.out,
        resume: opts.resume,
        phase,
        teacher: opts.teacher,
        data,
        seed,
        progress,
        maxStepsPerPhase,
        meta: { backend, trainImages: data.train.length, validImages: data.valid.length },
      });
      progress.finish();
      for (const [i, p] of result.phases.entries()) {
        const line = { phase: p.phase, steps: p.steps, plannedSteps: p.plannedSteps, seconds: Math.round(p.seconds), lossStart: p.lossStart, lossEnd: p.lossEnd, checkpoint: result.checkpoints[i] };
        if (opts.json) writeJsonLine(ctx.io, line);
      }
      if (!opts.json) ctx.io.out.write(`wrote ${result.final} (${result.phases.length} phase${result.phases.length === 1 ? '' : 's'}: ${result.checkpoints.join(', ')})\n`);
    });

  const supernet = commandGroup(program, 'supernet', 'Supernet checkpoints: import, evaluate, calibrate');
  supernet
    .command('eval')
    .description('Recalibrate BN and measure held-out top-1 of subnets of a checkpoint')
    .requiredOption('--checkpoint <file>', '.ofa supernet checkpoint')
    .option('--config <json>', 'a subnet config, or - for JSON lines on stdin')
    .option('--sample <n>', 'also N uniformly sampled subnets (with resolution)')
    .option('--seed <n>', 'seed for --sample', '1')
    .option('--extremes', 'also the largest subnet at the largest resolution and the smallest at the smallest')
    .option('--valid-limit <n>', 'evaluate on the first N held-out images only')
    .option('--data <dir>', 'Fashion-MNIST directory')
    .option('--train-limit <n>', 'recalibrate on a subset of the first N training images only (tests)')
    .option('--json', 'one JSON line per subnet')
    .action(async (opts: DataOpts & { checkpoint: string; config?: string; sample?: string; seed?: string; extremes?: boolean; validLimit?: string; json?: boolean }) => {
      const { loadSupernet, evaluateSubnets } = await trainer();
      const { params, checkpoint } = await loadSupernet(opts.checkpoint);
      const space = SPACES[checkpoint.space];
      const configs = await readConfigs(space, ctx, opts);
      const validLimit = opts.validLimit === undefined ? undefined : parseInteger(opts.validLimit, '--valid-limit', 1);
      const data = loadData(opts);
      await backendLine(ctx);
      const rows: (string | number)[][] = [];
      await evaluateSubnets(params, configs, data, {
        validLimit,
        onResult: (r) => {
          if (opts.json) writeJsonLine(ctx.io, { id: r.subnetId, config: r.config, r: r.config.r, top1: r.top1, loss: r.loss, count: r.count, macs: r.macs, params: r.params });
          else ctx.io.err.write(`  ${r.subnetId.slice(0, 12)} r=${r.config.r} top1 ${(100 * r.top1).toFixed(2)}% (${r.seconds.toFixed(1)} s)\n`);
          rows.push([r.subnetId.slice(0, 12), r.config.r, `d=${r.config.d.join('')}`, (r.macs / 1e6).toFixed(2), (r.params / 1e3).toFixed(1), (100 * r.top1).toFixed(2)]);
        },
      });
      if (!opts.json) ctx.io.out.write(formatTable(['subnet', 'r', 'depths', 'MMACs', 'kParams', 'top1 %'], rows));
      params.dispose();
    });

  supernet
    .command('calibrate')
    .description('Recalibrate BN for one subnet and write a checkpoint (and optionally its ONNX model) that deploys it')
    .requiredOption('--checkpoint <file>', '.ofa supernet checkpoint')
    .requiredOption('--config <json>', 'subnet config JSON {"ks","e","d","r"}')
    .requiredOption('--out <file>', 'calibrated .ofa checkpoint to write')
    .option('--onnx <file>', 'also write the ONNX model (same as `subnet export --checkpoint <out> --config ...`)')
    .option('--data <dir>', 'Fashion-MNIST directory')
    .option('--train-limit <n>', 'recalibrate on a subset of the first N training images only (tests)')
    .option('--json', 'print one JSON line {out, onnx, sha256, subnetId}')
    .action(async (opts: DataOpts & { checkpoint: string; config: string; out: string; onnx?: string; json?: boolean }) => {
      const { loadSupernet, saveSupernet, calibrateSubnet, exportCalibrated } = await trainer();
      const { params, checkpoint } = await loadSupernet(opts.checkpoint);
      const space = SPACES[checkpoint.space];
      const config = parseSubnetConfigJson(space, opts.config);
      if (!opts.out.endsWith('.ofa')) throw new ValidationError(`--out ${opts.out} must end in .ofa`);
      const data = loadData(opts);
      await backendLine(ctx);
      const calibrated = calibrateSubnet(params, config, data, {}, opts.checkpoint);
      await saveSupernet(opts.out, params, checkpoint.phase, { ...checkpoint.meta, bnCalibratedFor: calibrated.calibration, calibratedFrom: opts.checkpoint }, calibrated.tensors);
      let sha256: string | null = null;
      if (opts.onnx) {
        const { writeFile } = await import('node:fs/promises');
        const onnx = exportCalibrated(params, calibrated);
        await writeFile(opts.onnx, onnx.bytes);
        sha256 = onnx.sha256;
      }
      const summary = { out: opts.out, onnx: opts.onnx ?? null, sha256, subnetId: calibrated.calibration.subnetId };
      if (opts.json) writeJsonLine(ctx.io, summary);
      else ctx.io.out.write(`wrote ${opts.out}${opts.onnx ? ` and ${opts.onnx} (sha256 ${sha256})` : ''}: BN recalibrated for subnet ${summary.subnetId}\n`);
      params.dispose();
    });
}
