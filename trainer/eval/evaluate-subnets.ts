/**
 * Accuracy of subnets of a trained supernet, as the reference measures it before every evaluation:
 * recalibrate BN on the fixed training subset at the subnet's resolution, then top-1 on the
 * held-out split. The recalibrated subnet is exported (BN folded) and run in onnxruntime-node,
 * which is several times faster than TensorFlow.js on WASM for the larger subnets and measures
 * the artifact that gets deployed.
 */
import type { SubnetConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { subnetId } from '../../core/subnet-id';
import type { DataSplits } from '../data/dataset';
import type { SupernetParams } from '../supernet/params';
import { calibrateSubnet, exportCalibrated } from './calibrated';
import { evaluateOnnx } from './onnx-eval';

export interface SubnetAccuracy {
  config: SubnetConfig;
  subnetId: string;
  /** Top-1 in [0, 1] on `count` held-out images. */
  top1: number;
  loss: number;
  count: number;
  macs: number;
  params: number;
  seconds: number;
}

export interface EvaluateOptions {
  /** Evaluate on the first N held-out images only (default: all). */
  validLimit?: number;
  seed?: number;
}

export async function evaluateSubnet(params: SupernetParams, config: SubnetConfig, data: DataSplits, opts: EvaluateOptions = {}): Promise<SubnetAccuracy> {
  const started = performance.now();
  const calibrated = calibrateSubnet(params, config, data, { seed: opts.seed ?? 0 });
  const onnx = exportCalibrated(params, calibrated);
  const indices = opts.validLimit ? data.valid.subarray(0, opts.validLimit) : data.valid;
  const result = await evaluateOnnx(onnx.bytes, data.set, indices, config.r, params.space.numClasses);
  const cost = subnetCost(params.space, config);
  return {
    config,
    subnetId: subnetId(params.space, config),
    top1: result.accuracy,
    loss: result.loss,
    count: result.count,
    macs: cost.macs,
    params: cost.params,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Evaluates configs one after the other, reporting each as it finishes. */
export async function evaluateSubnets(
  params: SupernetParams,
  configs: readonly SubnetConfig[],
  data: DataSplits,
  opts: EvaluateOptions & { onResult?: (r: SubnetAccuracy, index: number) => void | Promise<void>; signal?: AbortSignal } = {},
): Promise<SubnetAccuracy[]> {
  const out: SubnetAccuracy[] = [];
  for (const [i, config] of configs.entries()) {
    if (opts.signal?.aborted) throw new Error(`evaluation aborted after ${i} of ${configs.length} subnets`);
    const r = await evaluateSubnet(params, config, data, opts);
    out.push(r);
    await opts.onResult?.(r, i);
  }
  return out;
}
