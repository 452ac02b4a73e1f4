/**
 * Runs the phases of a schedule in order, each starting from the previous phase's weights and
 * ending with a checkpoint (`<out>.<phase>.ofa`; the last one is also written to `<out>`). A run
 * can start from any phase's checkpoint (`resume`) or run one phase alone (`phase`). Channel
 * sorting happens right after loading, before the expand phases. The KD teacher is the `full`
 * phase's checkpoint, recorded in every later checkpoint's meta (`teacher`, relative path).
 */
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { maxConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { ValidationError } from '../../core/errors';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import type { SpaceDef } from '../../core/space';
import { randomSupernetWeights } from '../../models/random-weights';
import { loadSupernet, saveSupernet } from '../checkpoint-io';
import type { DataSplits } from '../data/dataset';
import { sortChannels } from '../supernet/channel-sort';
import { SupernetParams } from '../supernet/params';
import { phaseSteps, runPhase, type PhaseResult } from './phase';
import type { ProgressSink } from './progress';
import { phaseChoices, type PhaseName, type PhasePlan, type Schedule } from './schedules';

export interface TrainRunOptions {
  space: SpaceDef;
  schedule: Schedule;
  /** Final checkpoint path; per-phase checkpoints go next to it. */
  out: string;
  /** Start from this checkpoint (its phase must belong to the schedule). */
  resume?: string;
  /** Run only this phase (from `resume`, which must hold the phase it starts from). */
  phase?: PhaseName;
  /** The full network's checkpoint for distillation (default: from the resumed checkpoint's meta). */
  teacher?: string;
  data: DataSplits;
  seed: number;
  progress: ProgressSink;
  /** Extra fields for every checkpoint's meta (backend, command...). */
  meta?: Record<string, unknown>;
  maxStepsPerPhase?: number;
  signal?: AbortSignal;
}

export interface TrainRunResult {
  phases: PhaseResult[];
  checkpoints: string[];
  final: string;
}

export function phaseCheckpointPath(out: string, phase: string): string {
  const file = basename(out).replace(/\.ofa$/, '');
  return join(dirname(out), `${file}.${phase}.ofa`);
}

function plansToRun(schedule: Schedule, resumedPhase: string | null, only: PhaseName | undefined): PhasePlan[] {
  const names = schedule.phases.map((p) => p.name);
  if (only) {
    const plan = schedule.phases.find((p) => p.name === only);
    if (!plan) throw new ValidationError(`--phase ${only} is not a phase of schedule ${schedule.name} (${names.join(', ')})`);
    if (plan.from && !resumedPhase) throw new ValidationError(`phase ${only} starts from the ${plan.from} phase's checkpoint: pass it with --resume`);
    return [plan];
  }
  if (!resumedPhase) return schedule.phases;
  const at = names.indexOf(resumedPhase as PhaseName);
  if (at < 0) throw new ValidationError(`the checkpoint's phase "${resumedPhase}" is not a phase of schedule ${schedule.name} (${names.join(', ')})`);
  if (at === names.length - 1) throw new ValidationError(`the checkpoint already finished the last phase (${resumedPhase}) of schedule ${schedule.name}`);
  return schedule.phases.slice(at + 1);
}

/**
 * Relative cost of one step of a phase, for the overall ETA: the mean MACs of the phase's subnets
 * (relative to the largest) per subnet pass, plus a fixed per-pass overhead, plus the teacher's
 * forward pass (about a third of a training pass of the largest subnet). Measured ratios here are
 * within about 20% of this.
 */
export function stepCost(space: SpaceDef, plan: PhasePlan): number {
  const rng = createRng(`cost/${plan.name}`);
  const max = subnetCost(space, maxConfig(space)).macs;
  const samples = Array.from({ length: 32 }, () => subnetCost(space, sampleConfig(space, rng, phaseChoices(space, plan.name))).macs / max);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return plan.subnetsPerStep * (0.3 + 0.7 * mean) + (plan.kd ? 0.35 : 0);
}

export async function runTraining(opts: TrainRunOptions): Promise<TrainRunResult> {
  const { space, schedule, progress } = opts;
  let params: SupernetParams;
  let resumedPhase: string | null = null;
  let history: unknown[] = [];
  let teacherPath = opts.teacher ? resolve(opts.teacher) : null;
  if (opts.resume) {
    const loaded = await loadSupernet(opts.resume);
    if (loaded.checkpoint.space !== space.name) throw new ValidationError(`${opts.resume} holds a ${loaded.checkpoint.space} supernet, not ${space.name}`);
    params = loaded.params;
    resumedPhase = loaded.checkpoint.phase;
    history = Array.isArray(loaded.checkpoint.meta.history) ? loaded.checkpoint.meta.history : [];
    const recorded = loaded.checkpoint.meta.teacher;
    if (!teacherPath && typeof recorded === 'string') teacherPath = resolve(dirname(opts.resume), recorded);
    if (!teacherPath && resumedPhase === 'full') teacherPath = resolve(opts.resume);
    progress.log(`resumed ${opts.resume} (phase ${resumedPhase})`);
  } else {
    params = SupernetParams.fromWeights(randomSupernetWeights(space, opts.seed));
  }
  const plans = plansToRun(schedule, resumedPhase, opts.phase);
  if (opts.phase && resumedPhase && plans[0].from && plans[0].from !== resumedPhase) {
    progress.log(`note: phase ${opts.phase} normally starts from the ${plans[0].from} checkpoint; ${opts.resume} is from ${resumedPhase}`);
  }
  let teacher: SupernetParams | null = null;
  const results: PhaseResult[] = [];
  const checkpoints: string[] = [];
  const costs = new Map(plans.map((p) => [p.name, stepCost(space, p)]));
  const stepsOf = (p: PhasePlan) => {
    const s = phaseSteps(p, schedule, opts.data.train.length);
    return Math.min(s.warmup + s.cosine, opts.maxStepsPerPhase ?? Infinity);
  };
  try {
    for (const [i, plan] of plans.entries()) {
      if (plan.kd && !teacher) {
        if (!teacherPath) throw new ValidationError(`phase ${plan.name} distils from the full network: pass its checkpoint with --teacher (or resume from a checkpoint that records it)`);
        teacher = (await loadSupernet(teacherPath, false)).params;
        progress.log(`teacher: ${teacherPath}`);
      }
      if (plan.sortStage !== null) {
        const tensors = params.toTensors();
        sortChannels(space, tensors, phaseChoices(space, plan.name).e, plan.sortStage);
        params.assignTensors(tensors);
        progress.log(`sorted middle channels by importance (expand_ratio_stage ${plan.sortStage})`);
      }
      const later = plans.slice(i + 1);
      const result = await runPhase({
        params,
        teacher,
        data: opts.data,
        plan,
        schedule,
        seed: opts.seed,
        progress,
        phaseIndex: i,
        phaseCount: plans.length,
        remainingAfterPhase: (secondsPerStep) => later.reduce((sum, q) => sum + (stepsOf(q) * secondsPerStep * costs.get(q.name)!) / costs.get(plan.name)!, 0),
        maxSteps: opts.maxStepsPerPhase,
        signal: opts.signal,
      });
      results.push(result);
      const path = phaseCheckpointPath(opts.out, plan.name);
      if (plan.name === 'full') teacherPath = resolve(path);
      const { losses: _losses, ...summary } = result;
      history = [...history, { ...summary, schedule: schedule.name, seed: opts.seed }];
      await saveSupernet(path, params, plan.name, {
        ...opts.meta,
        schedule: schedule.name,
        seed: opts.seed,
        teacher: teacherPath ? relative(dirname(resolve(path)), teacherPath) : null,
        history,
        bnStatistics: 'running averages from training; recalibrate per subnet before evaluation or export',
      });
      checkpoints.push(path);
      progress.log(`phase ${plan.name}: ${result.steps} steps in ${result.seconds.toFixed(0)} s, loss ${result.lossStart.toFixed(3)} -> ${result.lossEnd.toFixed(3)}; wrote ${path}`);
    }
  } finally {
    teacher?.dispose();
  }
  const last = checkpoints[checkpoints.length - 1];
  if (resolve(last) !== resolve(opts.out)) await copyFile(last, opts.out);
  params.dispose();
  return { phases: results, checkpoints, final: opts.out };
}
