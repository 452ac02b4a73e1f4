/**
 * Fitting the repository's accuracy predictor (ofa/nas/accuracy_predictor): `ofa-onehot`
 * encoding, 3 hidden layers of 400 with ReLU, a bias-free output plus base_acc = the mean
 * training accuracy; targets in [0, 1]; shuffled 80/20 train/held-out split; Adam, lr 1e-3,
 * weight decay 1e-4, batch 256. The held-out RMSE is measured on records never trained on.
 */
import { z } from 'zod';
import { parseSubnetConfig, type SubnetConfig } from '../core/config';
import { ValidationError } from '../core/errors';
import { createRng } from '../core/rng';
import { SPACES, type SpaceName } from '../core/space';
import { encodeBatch, encodingLength } from './accuracy-encoding';
import { createAccuracyPredictor, rmse, type AccuracyPredictor, type AccuracyPredictorOrigin } from './accuracy-predictor';
import { createMlp } from './mlp';
import { trainMlp } from './mlp-train';

export interface AccuracyRecord {
  config: SubnetConfig;
  /** Top-1 accuracy as a fraction in [0, 1]. */
  top1: number;
}

export interface FitAccuracyOptions {
  hidden?: readonly number[];
  epochs?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
  /** Share of records kept out of training to measure RMSE (reference: 0.2). */
  heldOutFraction?: number;
  origin: Pick<AccuracyPredictorOrigin, 'label'> & Partial<AccuracyPredictorOrigin>;
  onEpoch?: (epoch: number, loss: number) => void;
}

export const MIN_ACCURACY_RECORDS = 10;

/** About 600 optimizer steps, at least 30 and at most 300 epochs: small data sets get more passes. */
export function defaultEpochs(trainCount: number, batchSize: number): number {
  const stepsPerEpoch = Math.ceil(trainCount / batchSize);
  return Math.min(300, Math.max(30, Math.ceil(600 / stepsPerEpoch)));
}

/** Validates records for a space: configs on its grid, top-1 a fraction. */
export function checkAccuracyRecords(space: SpaceName, records: readonly { config: unknown; top1: unknown }[]): AccuracyRecord[] {
  return records.map((record, i) => {
    const top1 = z.number().finite().min(0).max(1).safeParse(record.top1);
    if (!top1.success) throw new ValidationError(`record ${i + 1}: top1 must be a fraction in [0, 1], got ${JSON.stringify(record.top1)}`);
    try {
      return { config: parseSubnetConfig(SPACES[space], record.config), top1: top1.data };
    } catch (error) {
      throw new ValidationError(`record ${i + 1}: ${(error as Error).message}`);
    }
  });
}

export function fitAccuracyPredictor(space: SpaceName, input: readonly AccuracyRecord[], options: FitAccuracyOptions): AccuracyPredictor {
  const records = checkAccuracyRecords(space, input);
  if (records.length < MIN_ACCURACY_RECORDS) {
    throw new ValidationError(`fitting an accuracy predictor needs at least ${MIN_ACCURACY_RECORDS} records of ${space}, got ${records.length}`);
  }
  const seed = options.seed ?? 0;
  const rng = createRng(seed);
  const heldOutFraction = options.heldOutFraction ?? 0.2;
  if (!(heldOutFraction >= 0 && heldOutFraction < 1)) throw new ValidationError(`heldOutFraction must be in [0, 1), got ${heldOutFraction}`);
  const shuffled = rng.fork('split').shuffle(records);
  const heldOutCount = Math.floor(records.length * heldOutFraction);
  const heldOut = shuffled.slice(0, heldOutCount);
  const train = shuffled.slice(heldOutCount);

  const def = SPACES[space];
  const width = encodingLength(def, 'ofa-onehot');
  const hidden = options.hidden ?? [400, 400, 400];
  const sizes = [width, ...hidden, 1];
  const mlp = createMlp(sizes, rng.fork('init'), (layer) => layer < sizes.length - 2);
  const y = Float32Array.from(train.map((r) => r.top1));
  const baseAcc = y.reduce((s, v) => s + v, 0) / y.length;
  const batchSize = options.batchSize ?? 256;
  const epochs = options.epochs ?? defaultEpochs(train.length, batchSize);
  trainMlp(mlp, encodeBatch(def, 'ofa-onehot', train.map((r) => r.config)), y, train.length, {
    epochs,
    batchSize,
    lr: options.lr ?? 1e-3,
    weightDecay: options.weightDecay ?? 1e-4,
    rng: rng.fork('train'),
    outputOffset: baseAcc,
    sparseInput: true,
    onEpoch: options.onEpoch ? (epoch, loss) => void options.onEpoch!(epoch, loss) : undefined,
  });

  const draft = createAccuracyPredictor({ space, encoding: 'ofa-onehot', mlp, baseAcc, origin: { ...options.origin, kind: 'fitted' } });
  const trainRmse = rmse(draft.predict(train.map((r) => r.config)), y);
  const heldOutRmse = heldOut.length > 0 ? rmse(draft.predict(heldOut.map((r) => r.config)), heldOut.map((r) => r.top1)) : null;
  return createAccuracyPredictor({
    space,
    encoding: 'ofa-onehot',
    mlp,
    baseAcc,
    origin: { ...options.origin, kind: 'fitted' },
    metrics: { trainCount: train.length, heldOutCount: heldOut.length, trainRmse, heldOutRmse, epochs, seed },
  });
}
