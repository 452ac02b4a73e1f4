/**
 * Progressive-shrinking phases (§5.1) and the two shipped schedules. Each phase samples every
 * dimension uniformly from its current lists; a later phase only widens a list, so larger settings
 * keep being trained. Learning rates are the reference's per-GPU values (one GPU = 64 images),
 * scaled linearly with the batch size; warm-up starts from lr0 / 32, the reference's ratio of
 * per-GPU to global rate on 32 GPUs.
 *
 * - `paper`: the reference's epochs (full 180; kernel 5 + 120; depth-1 25; depth-2 5 + 120;
 *   expand-1 25; expand-2 5 + 120) over the whole training split.
 * - `quick`: the same phases, proportions and rates, with every epoch shrunk to a fixed number of
 *   steps so that the whole run fits about 20 minutes on 2 CPU cores (see docs/TRAINING-RESULTS.md).
 * - `jointSchedule(s)`: the baseline of the paper's claim: one phase from scratch that samples
 *   the whole space at once, with as many subnet forward/backward passes as `s` has in total.
 */
import type { SpaceDef } from '../../core/space';

export const PS_PHASES = ['full', 'kernel', 'depth-1', 'depth-2', 'expand-1', 'expand-2'] as const;
export type PsPhase = (typeof PS_PHASES)[number];
export type PhaseName = PsPhase | 'joint';
export const SCHEDULE_NAMES = ['quick', 'paper'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export interface PhaseChoices {
  ks: number[];
  e: number[];
  d: number[];
}

export interface PhasePlan {
  name: PhaseName;
  /** The phase whose checkpoint this one starts from (null: from scratch). */
  from: PsPhase | null;
  subnetsPerStep: number;
  /** Distil from the full network (trained in phase `full`). */
  kd: boolean;
  /** Channel sorting right after loading: the reference's expand_ratio_stage, or null. */
  sortStage: number | null;
  /** Learning rate per 64 images. */
  baseLr: number;
  warmupEpochs: number;
  epochs: number;
}

export interface Schedule {
  name: string;
  batchSize: number;
  /** Steps per epoch; null = one pass over the training split. */
  stepsPerEpoch: number | null;
  phases: PhasePlan[];
}

const largest = (list: readonly number[], n: number) => [...list].sort((a, b) => b - a).slice(0, n).sort((a, b) => a - b);

/** The candidate lists of a phase for a space (full: max only; kernel: all ks; ...). */
export function phaseChoices(space: SpaceDef, phase: PhaseName): PhaseChoices {
  const ks = [...space.kernelChoices];
  const e = [...space.expandChoices];
  const d = [...space.depthChoices];
  switch (phase) {
    case 'full':
      return { ks: largest(ks, 1), e: largest(e, 1), d: largest(d, 1) };
    case 'kernel':
      return { ks, e: largest(e, 1), d: largest(d, 1) };
    case 'depth-1':
      return { ks, e: largest(e, 1), d: largest(d, 2) };
    case 'depth-2':
      return { ks, e: largest(e, 1), d };
    case 'expand-1':
      return { ks, e: largest(e, 2), d };
    case 'expand-2':
    case 'joint':
      return { ks, e, d };
  }
}

const PAPER_PHASES: PhasePlan[] = [
  { name: 'full', from: null, subnetsPerStep: 1, kd: false, sortStage: null, baseLr: 2.6 / 32, warmupEpochs: 0, epochs: 180 },
  { name: 'kernel', from: 'full', subnetsPerStep: 1, kd: true, sortStage: null, baseLr: 3e-2, warmupEpochs: 5, epochs: 120 },
  { name: 'depth-1', from: 'kernel', subnetsPerStep: 2, kd: true, sortStage: null, baseLr: 2.5e-3, warmupEpochs: 0, epochs: 25 },
  { name: 'depth-2', from: 'depth-1', subnetsPerStep: 2, kd: true, sortStage: null, baseLr: 7.5e-3, warmupEpochs: 5, epochs: 120 },
  { name: 'expand-1', from: 'depth-2', subnetsPerStep: 4, kd: true, sortStage: 0, baseLr: 2.5e-3, warmupEpochs: 0, epochs: 25 },
  { name: 'expand-2', from: 'expand-1', subnetsPerStep: 4, kd: true, sortStage: 1, baseLr: 7.5e-3, warmupEpochs: 5, epochs: 120 },
];

/** Steps per "epoch" of the quick schedule, measured to fit ~20 minutes here (docs/TRAINING-RESULTS.md). */
export const QUICK_STEPS_PER_EPOCH = 3;

export function getSchedule(name: ScheduleName): Schedule {
  const phases = PAPER_PHASES.map((p) => ({ ...p }));
  return name === 'paper'
    ? { name, batchSize: 64, stepsPerEpoch: null, phases }
    : { name, batchSize: 64, stepsPerEpoch: QUICK_STEPS_PER_EPOCH, phases };
}

export function isPsPhase(name: string): name is PsPhase {
  return (PS_PHASES as readonly string[]).includes(name);
}

/** Total subnet forward/backward passes of a schedule, in units of "epochs x subnets". */
export function subnetEpochs(schedule: Schedule): number {
  return schedule.phases.reduce((sum, p) => sum + (p.warmupEpochs + p.epochs) * p.subnetsPerStep, 0);
}

/**
 * All subnets trained jointly from the start (no progressive shrinking, no teacher: none exists
 * yet), with the final phase's subnets per step and the full phase's learning rate, for the same
 * number of subnet forward/backward passes as `base`.
 */
export function jointSchedule(base: Schedule): Schedule {
  const subnetsPerStep = 4;
  const joint: PhasePlan = {
    name: 'joint',
    from: null,
    subnetsPerStep,
    kd: false,
    sortStage: null,
    baseLr: PAPER_PHASES[0].baseLr,
    warmupEpochs: 5,
    epochs: subnetEpochs(base) / subnetsPerStep - 5,
  };
  return { ...base, name: `${base.name}-joint`, phases: [joint] };
}
