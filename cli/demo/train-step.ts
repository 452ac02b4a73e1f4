/**
 * `demo --train`, first step: a trained ofa-mbv3-mini supernet. `--checkpoint F` uses F; else the
 * farm home's checkpoint of an earlier `demo --train` is reused; else `ofa-farm train --schedule
 * quick` runs as its own process (so the coordinator keeps answering while it trains; a step takes
 * up to a second of CPU), resuming from the last phase checkpoint an interrupted run left. Its
 * progress lines are shown (redrawn in place on a terminal) and logged to <home>/logs/train.log.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FarmError, ValidationError } from '../../core/errors';
import { readCheckpoint } from '../../models/checkpoint';
import { PS_PHASES, getSchedule } from '../../trainer/train/schedules';
import type { DemoContext, DemoStep, DemoTrainOptions } from './context';

const BIN = join(import.meta.dirname, '..', 'bin.mjs');
export const DEMO_TRAIN_SPACE = 'ofa-mbv3-mini';

/** Where the demo keeps its quick-schedule checkpoint; smoke runs (capped steps or data) get their own file. */
export function demoCheckpointPath(home: string, train: Pick<DemoTrainOptions, 'maxSteps' | 'trainLimit'>): string {
  const suffix = `${train.maxSteps !== undefined ? `-max${train.maxSteps}` : ''}${train.trainLimit !== undefined ? `-train${train.trainLimit}` : ''}`;
  return join(home, 'trainer', `${DEMO_TRAIN_SPACE}-quick${suffix}.ofa`);
}

/** The per-phase checkpoint of the latest phase an interrupted run finished (same naming as trainer/train/run). */
export function lastPhaseCheckpoint(out: string): string | null {
  const stem = basename(out).replace(/\.ofa$/, '');
  const phases = getSchedule('quick').phases.map((p) => p.name);
  for (const phase of [...phases].reverse()) {
    const path = join(dirname(out), `${stem}.${phase}.ofa`);
    if (existsSync(path)) return path;
  }
  return null;
}

async function checkMini(path: string): Promise<void> {
  const checkpoint = await readCheckpoint(path);
  if (checkpoint.space !== DEMO_TRAIN_SPACE) throw new ValidationError(`--checkpoint ${path} holds a ${checkpoint.space} supernet; demo --train measures ${DEMO_TRAIN_SPACE}`);
}

/** Runs `ofa-farm train` as a child process, showing its progress; resolves when it exits 0. */
async function runTrainer(ctx: DemoContext, args: string[], logPath: string): Promise<void> {
  const log = createWriteStream(logPath, { flags: 'a', mode: 0o600 });
  const child = spawn(process.execPath, [BIN, 'train', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  ctx.cleanups.push(stop);
  let redrawn = false;
  const lines: string[] = [];
  const show = (line: string) => {
    log.write(`${line}\n`);
    lines.push(line);
    if (lines.length > 20) lines.shift();
    const progress = /^\[\d+\/\d+\] /.test(line);
    if (ctx.io.isTty && progress) {
      ctx.io.err.write(`\r\x1b[2K${line}`);
      redrawn = true;
      return;
    }
    if (redrawn) ctx.io.err.write('\n');
    redrawn = false;
    ctx.io.err.write(`${line}\n`);
  };
  createInterface({ input: child.stderr! }).on('line', show);
  createInterface({ input: child.stdout! }).on('line', (line) => log.write(`${line}\n`));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', (c) => done(c));
  });
  if (redrawn) ctx.io.err.write('\n');
  log.end();
  if (code !== 0) throw new FarmError(`training failed (exit ${code}; log ${logPath}):\n${lines.slice(-8).join('\n')}`);
}

export const trainStep: DemoStep = {
  name: 'train',
  async run(ctx) {
    const train = ctx.options.train;
    if (!train) return;
    if (train.checkpoint) {
      const path = resolve(train.checkpoint);
      if (!existsSync(path)) throw new ValidationError(`--checkpoint ${train.checkpoint} does not exist`);
      await checkMini(path);
      ctx.io.out.write(`\nsupernet: ${path} (given with --checkpoint; no training)\n`);
      ctx.checkpoint = path;
      return;
    }
    const out = demoCheckpointPath(ctx.options.home, train);
    if (existsSync(out)) {
      await checkMini(out);
      ctx.io.out.write(`\nsupernet: ${out} (trained by an earlier demo --train; delete it to train again)\n`);
      ctx.checkpoint = out;
      return;
    }
    mkdirSync(dirname(out), { recursive: true });
    const logPath = join(ctx.options.home, 'logs', 'train.log');
    const args = ['--space', DEMO_TRAIN_SPACE, '--schedule', 'quick', '--out', out, '--seed', String(ctx.options.seed)];
    if (train.maxSteps !== undefined) args.push('--max-steps', String(train.maxSteps));
    if (train.trainLimit !== undefined) args.push('--train-limit', String(train.trainLimit));
    if (train.data !== undefined) args.push('--data', train.data);
    const phases = getSchedule('quick').phases;
    const resumeFrom = lastPhaseCheckpoint(out);
    if (resumeFrom?.endsWith(`.${phases[phases.length - 1].name}.ofa`)) {
      // The run finished its last phase but stopped before copying it to the final name.
      await copyFile(resumeFrom, out);
      ctx.io.out.write(`\nsupernet: ${out} (the last phase checkpoint of an earlier demo --train)\n`);
      ctx.checkpoint = out;
      return;
    }
    if (resumeFrom) args.push('--resume', resumeFrom);
    ctx.io.out.write(
      `\ntraining ${DEMO_TRAIN_SPACE} with progressive shrinking, schedule quick (${phases.map((p) => p.name).join(' -> ')}; about 20 minutes on an idle 2-core machine)` +
        `${resumeFrom ? `, resuming from ${resumeFrom}` : ''}${train.maxSteps !== undefined ? `, at most ${train.maxSteps} steps per phase` : ''}; log ${logPath}\n`,
    );
    const started = performance.now();
    await runTrainer(ctx, args, logPath);
    ctx.io.out.write(`trained in ${((performance.now() - started) / 1000).toFixed(0)} s: ${out} (${PS_PHASES.length} phase checkpoints next to it)\n`);
    ctx.checkpoint = out;
  },
};
