/**
 * The demo (`npm start`) as a list of small steps sharing one context: start the coordinator,
 * start local agents (each adds a device), sweep the same subnets on every device, print what was
 * measured. A later feature is one more step (a browser agent, twins, fronts, dashboards).
 */
import type { SpaceName } from '../../core/space';
import type { Coordinator } from '../../server/main';
import type { FarmClient } from '../client';
import type { Io } from '../output';

export interface DemoOptions {
  /** Farm home (database, admin token, agent caches, logs). */
  home: string;
  port: number;
  space: SpaceName;
  count: number;
  seed: number;
  /** Stop when done instead of serving until Ctrl-C. */
  exit: boolean;
  /** `demo --train`: a trained supernet and an accuracy predictor before the sweep (null: off). */
  train: DemoTrainOptions | null;
}

export interface DemoTrainOptions {
  /** Use this checkpoint instead of training (else the farm home's, else train the quick schedule). */
  checkpoint?: string;
  /** Cap every training phase at N steps (smoke runs, tests). */
  maxSteps?: number;
  /** Train and recalibrate on the first N training images only (smoke runs, tests). */
  trainLimit?: number;
  /** Evaluate accuracy on the first N held-out images only. */
  validLimit?: number;
  /** Subnets measured for the accuracy dataset. */
  accuracyCount: number;
  /** Fashion-MNIST directory. */
  data?: string;
}

export interface DemoDevice {
  name: string;
  kind: 'edge' | 'browser' | 'android';
  /** Filled by the sweep step. */
  sweepId?: number;
}

export interface DemoContext {
  io: Io;
  options: DemoOptions;
  coordinator: Coordinator;
  client: FarmClient;
  devices: DemoDevice[];
  /** The trained supernet checkpoint (`demo --train`), set by the train step. */
  checkpoint?: string;
  /** Lines printed at the end, after the results (URLs, next commands). */
  notes: string[];
  /** Run in reverse order on exit. */
  cleanups: Array<() => Promise<void>>;
  log(line: string): void;
}

export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<void>;
}
