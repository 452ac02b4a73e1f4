/**
 * Accuracy predictors: an MLP over a subnet encoding, output + `baseAcc` (shared/OFA-REFERENCE.md
 * §6). Two shapes share one type so the search takes either:
 * - fitted here: the repository's predictor (3 x 400, ReLU, `ofa-onehot` encoding, last layer
 *   without bias, baseAcc = mean training accuracy);
 * - imported: the tutorial's pretrained 128-d predictor (`ofa-tutorial-128`, last layer with
 *   bias, baseAcc 0), built with `createAccuracyPredictor` from its weights.
 * Accuracies are fractions in [0, 1]. Every predictor is labelled with its origin and has a
 * content version (a hash of its weights), which Pareto fronts record.
 */
import { z } from 'zod';
import type { SubnetConfig } from '../core/config';
import { ValidationError } from '../core/errors';
import { SPACE_NAMES, SPACES, type SpaceName } from '../core/space';
import { sha256Hex } from '../core/subnet-id';
import { ACCURACY_ENCODINGS, encodeBatch, encodingLength, encodingMismatch, type AccuracyEncoding } from './accuracy-encoding';
import { mlpForward, mlpFromJson, mlpToJson, type DenseLayerJson, type Mlp } from './mlp';

export const ACCURACY_PREDICTOR_FORMAT = 'ofa-farm/accuracy-predictor';

export const AccuracyPredictorOrigin = z.object({
  kind: z.enum(['fitted', 'imported']),
  /** Shown wherever the predictor's numbers are: "fitted on 1,200 records of supernet X", "OFA tutorial acc_predictor.pth". */
  label: z.string().min(1).max(500),
  /** Supernet checkpoint the accuracies belong to (name or sha256), when known. */
  checkpoint: z.string().max(200).nullable().default(null),
  /** File a predictor was imported from. */
  source: z.string().max(500).nullable().default(null),
});
export type AccuracyPredictorOrigin = z.infer<typeof AccuracyPredictorOrigin>;

export const AccuracyPredictorMetrics = z.object({
  trainCount: z.number().int().nonnegative(),
  heldOutCount: z.number().int().nonnegative(),
  /** Root-mean-square error in accuracy units (0.01 = one percentage point). */
  trainRmse: z.number().nonnegative(),
  heldOutRmse: z.number().nonnegative().nullable(),
  epochs: z.number().int().nonnegative(),
  seed: z.number().int(),
});
export type AccuracyPredictorMetrics = z.infer<typeof AccuracyPredictorMetrics>;

const LayerJson = z.object({
  inputs: z.number().int().positive(),
  outputs: z.number().int().positive(),
  weight: z.string(),
  bias: z.string().nullable(),
});

export const AccuracyPredictorJson = z.object({
  format: z.literal(ACCURACY_PREDICTOR_FORMAT),
  formatVersion: z.literal(1),
  space: z.enum(SPACE_NAMES),
  encoding: z.enum(ACCURACY_ENCODINGS),
  baseAcc: z.number().finite(),
  layers: z.array(LayerJson).min(1).max(16),
  origin: AccuracyPredictorOrigin,
  metrics: AccuracyPredictorMetrics.nullable(),
});
export type AccuracyPredictorJson = z.infer<typeof AccuracyPredictorJson>;

export interface AccuracyPredictor {
  readonly space: SpaceName;
  readonly encoding: AccuracyEncoding;
  readonly origin: AccuracyPredictorOrigin;
  readonly metrics: AccuracyPredictorMetrics | null;
  /** 16 hex digits of the sha256 of the weights, encoding and offset. */
  readonly version: string;
  /** Predicted top-1 (fraction) for each config, in one vectorised pass. */
  predict(configs: readonly SubnetConfig[]): Float64Array;
  toJSON(): AccuracyPredictorJson;
}

export interface AccuracyPredictorParts {
  space: SpaceName;
  encoding: AccuracyEncoding;
  mlp: Mlp;
  baseAcc: number;
  origin: z.input<typeof AccuracyPredictorOrigin>;
  metrics?: AccuracyPredictorMetrics | null;
}

/** Rows per forward pass: bounds memory for large batches without losing the batching. */
const CHUNK = 512;

export function createAccuracyPredictor(parts: AccuracyPredictorParts): AccuracyPredictor {
  const space = SPACES[parts.space];
  const mismatch = encodingMismatch(space, parts.encoding);
  if (mismatch) throw new ValidationError(mismatch);
  const width = encodingLength(space, parts.encoding);
  const { mlp } = parts;
  if (mlp.layers[0].inputs !== width) {
    throw new ValidationError(`the predictor's first layer takes ${mlp.layers[0].inputs} inputs but the ${parts.encoding} encoding of ${space.name} has ${width}`);
  }
  if (mlp.layers[mlp.layers.length - 1].outputs !== 1) throw new ValidationError('an accuracy predictor has exactly one output');
  const origin = AccuracyPredictorOrigin.parse(parts.origin);
  const layers: DenseLayerJson[] = mlpToJson(mlp);
  const version = sha256Hex(JSON.stringify({ space: parts.space, encoding: parts.encoding, baseAcc: parts.baseAcc, layers })).slice(0, 16);
  const metrics = parts.metrics ?? null;
  return {
    space: parts.space,
    encoding: parts.encoding,
    origin,
    metrics,
    version,
    predict(configs) {
      const out = new Float64Array(configs.length);
      for (let start = 0; start < configs.length; start += CHUNK) {
        const chunk = configs.slice(start, start + CHUNK);
        const x = encodeBatch(space, parts.encoding, chunk);
        const { output } = mlpForward(mlp, x, chunk.length, { sparseInput: true });
        for (let i = 0; i < chunk.length; i++) out[start + i] = output[i] + parts.baseAcc;
      }
      return out;
    },
    toJSON: () => ({
      format: ACCURACY_PREDICTOR_FORMAT,
      formatVersion: 1,
      space: parts.space,
      encoding: parts.encoding,
      baseAcc: parts.baseAcc,
      layers,
      origin,
      metrics,
    }),
  };
}

/** Loads a predictor from its JSON form (a file, a db row); bad input is a ValidationError naming the problem. */
export function loadAccuracyPredictor(input: unknown): AccuracyPredictor {
  const parsed = AccuracyPredictorJson.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`not an accuracy predictor: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const json = parsed.data;
  let mlp: Mlp;
  try {
    mlp = mlpFromJson(json.layers);
  } catch (error) {
    throw new ValidationError(`accuracy predictor weights: ${(error as Error).message}`);
  }
  return createAccuracyPredictor({ space: json.space, encoding: json.encoding, mlp, baseAcc: json.baseAcc, origin: json.origin, metrics: json.metrics });
}

/** Root-mean-square error of predictions against targets. */
export function rmse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length || actual.length === 0) throw new RangeError('rmse needs two non-empty lists of equal length');
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += (predicted[i] - actual[i]) ** 2;
  return Math.sqrt(sum / actual.length);
}
