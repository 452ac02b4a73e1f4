/**
 * One progressive-shrinking phase (§5.4): per step, a batch at a resolution drawn uniformly from
 * the space's grid (seeded by the step, as the reference seeds by batch and epoch), the teacher's
 * probabilities (full net, train-mode BN) when the phase distils, `subnetsPerStep` subnets sampled
 * uniformly from the phase's lists (seeded by step and index), their summed gradients, one SGD step.
 */
import * as tf from '@tensorflow/tfjs';
import { maxConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { trainBatch, type DataSplits } from '../data/dataset';
import { forwardNet } from '../supernet/forward';
import { elasticView } from '../supernet/net-weights';
import type { SupernetParams } from '../supernet/params';
import { softTarget } from './loss';
import { learningRate, type LrSchedule } from './lr';
import type { ProgressSink } from './progress';
import { phaseChoices, type PhasePlan, type Schedule } from './schedules';
import { Sgd } from './sgd';
import { stepGradients } from './step';

export interface PhaseRunOptions {
  params: SupernetParams;
  /** The full network (phase `full`'s weights) for knowledge distillation; required when plan.kd. */
  teacher: SupernetParams | null;
  data: DataSplits;
  plan: PhasePlan;
  schedule: Schedule;
  seed: number;
  progress: ProgressSink;
  phaseIndex?: number;
  phaseCount?: number;
  /** Seconds expected for the phases after this one (for the overall ETA). */
  remainingAfterPhase?: (secondsPerStep: number) => number;
  /** Stops after this many steps (tests, smoke runs); the lr schedule keeps its full length. */
  maxSteps?: number;
  signal?: AbortSignal;
}

export interface PhaseResult {
  phase: string;
  steps: number;
  plannedSteps: number;
  seconds: number;
  /** Mean loss per subnet over the first and the last tenth of the steps. */
  lossStart: number;
  lossEnd: number;
  losses: number[];
}

export const LABEL_SMOOTHING = 0.1;
export const KD_RATIO = 1.0;

export function phaseSteps(plan: PhasePlan, schedule: Schedule, trainSize: number): { warmup: number; cosine: number; perEpoch: number } {
  const perEpoch = schedule.stepsPerEpoch ?? Math.floor(trainSize / schedule.batchSize);
  return { warmup: Math.round(plan.warmupEpochs * perEpoch), cosine: Math.max(1, Math.round(plan.epochs * perEpoch)), perEpoch };
}

export function lrSchedule(plan: PhasePlan, schedule: Schedule, trainSize: number): LrSchedule {
  const { warmup, cosine } = phaseSteps(plan, schedule, trainSize);
  const lr0 = plan.baseLr * (schedule.batchSize / 64);
  return { lr0, warmupLr: lr0 / 32, warmupSteps: warmup, cosineSteps: cosine };
}

function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export async function runPhase(opts: PhaseRunOptions): Promise<PhaseResult> {
  const { params, plan, schedule, data } = opts;
  const space = params.space;
  if (plan.kd && !opts.teacher) throw new Error(`phase ${plan.name} distils from the full network: a teacher is required`);
  const choices = phaseChoices(space, plan.name);
  const lr = lrSchedule(plan, schedule, data.train.length);
  const planned = lr.warmupSteps + lr.cosineSteps;
  const total = Math.min(planned, opts.maxSteps ?? planned);
  const perEpoch = phaseSteps(plan, schedule, data.train.length).perEpoch;
  const batchesPerPass = Math.floor(data.train.length / schedule.batchSize);
  if (batchesPerPass < 1) throw new Error(`the training split (${data.train.length} images) is smaller than one batch of ${schedule.batchSize}`);
  const sgd = new Sgd(params);
  const losses: number[] = [];
  const started = performance.now();
  let order: number[] = [];
  let orderPass = -1;
  for (let t = 0; t < total; t++) {
    if (opts.signal?.aborted) throw new Error(`phase ${plan.name} aborted at step ${t}`);
    const pass = Math.floor(t / batchesPerPass);
    if (pass !== orderPass) {
      order = createRng(`${opts.seed}/${plan.name}/order/${pass}`).shuffle(Array.from(data.train));
      orderPass = pass;
    }
    const within = t % batchesPerPass;
    const indices = order.slice(within * schedule.batchSize, (within + 1) * schedule.batchSize);
    const r = createRng(`${opts.seed}/${plan.name}/r/${t}`).choice(space.resolutions);
    const batch = trainBatch(data.set, indices, r, createRng(`${opts.seed}/${plan.name}/aug/${t}`));
    const configs = Array.from({ length: plan.subnetsPerStep }, (_, j) =>
      sampleConfig(space, createRng(`${opts.seed}/${plan.name}/subnet/${t}/${j}`), { ...choices, r: [r] }),
    );
    const x = tf.tensor4d(batch.x, [batch.size, r, r, space.inputChannels]);
    const probs = plan.kd ? teacherProbabilities(opts.teacher!, x) : null;
    const target = softTarget(batch.labels, space.numClasses, probs, { labelSmoothing: LABEL_SMOOTHING, kdRatio: KD_RATIO });
    const rate = learningRate(lr, t);
    const step = stepGradients(params, x, target, configs, { dropoutRate: space.dropout, seed: createRng(`${opts.seed}/${plan.name}/drop/${t}`).int(2 ** 30), updateRunningStats: true });
    tf.dispose([x, target, ...(probs ? [probs] : [])]);
    if (!Number.isFinite(step.loss)) throw new Error(`phase ${plan.name}: the loss became ${step.loss} at step ${t} (lr ${rate})`);
    sgd.step(step.grads, rate);
    losses.push(step.loss / configs.length);
    const elapsed = (performance.now() - started) / 1000;
    opts.progress.update({
      phase: plan.name,
      phaseIndex: opts.phaseIndex ?? 0,
      phaseCount: opts.phaseCount ?? 1,
      epoch: (t + 1) / perEpoch,
      epochs: planned / perEpoch,
      step: t + 1,
      steps: total,
      loss: mean(losses.slice(-20)),
      lr: rate,
      elapsed,
      remainingAfterPhase: opts.remainingAfterPhase?.(elapsed / (t + 1)),
    });
    // Let timers and signals run between steps.
    if (t % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
  }
  const tenth = Math.max(1, Math.floor(losses.length / 10));
  return {
    phase: plan.name,
    steps: total,
    plannedSteps: planned,
    seconds: (performance.now() - started) / 1000,
    lossStart: mean(losses.slice(0, tenth)),
    lossEnd: mean(losses.slice(-tenth)),
    losses,
  };
}

/** Softmax of the full network (max config, train-mode BN, no dropout) on the batch. */
export function teacherProbabilities(teacher: SupernetParams, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const net = elasticView(teacher, maxConfig(teacher.space, x.shape[1]));
    return tf.softmax(forwardNet(net, x, { bn: { mode: 'batch', eps: teacher.space.bn.eps } }));
  });
}
