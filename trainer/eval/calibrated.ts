/**
 * A subnet ready to deploy: BN recalibrated for its config (§5.5), then the supernet tensors with
 * those statistics written into running_mean[:C] / running_var[:C], which is exactly what
 * models/export folds. Written as an `.ofa` checkpoint, `ofa-farm subnet export --checkpoint F
 * --config C` then produces the recalibrated model; meta.bnCalibratedFor names the config the
 * statistics belong to (other configs of that file get statistics calibrated for another subnet).
 */
import type { SubnetConfig } from '../../core/config';
import { canonicalConfig, subnetId } from '../../core/subnet-id';
import { exportSubnet, type OnnxExport } from '../../models/export';
import { inMemoryWeights } from '../../models/random-weights';
import type { SupernetWeights } from '../../models/supernet-tensors';
import type { DataSplits } from '../data/dataset';
import type { SupernetParams } from '../supernet/params';
import { recalibrateBn, tensorsWithStats, type BnStatsMap, type RecalibrationOptions } from './recalibrate';

export interface BnCalibration {
  config: SubnetConfig;
  subnetId: string;
  images: number;
  batchSize: number;
  seed: number;
}

export interface CalibratedSubnet {
  config: SubnetConfig;
  stats: BnStatsMap;
  /** Every supernet tensor (PyTorch layout) with this subnet's statistics in the running stats. */
  tensors: Map<string, Float32Array>;
  calibration: BnCalibration;
  weights: SupernetWeights;
}

export function calibrateSubnet(params: SupernetParams, config: SubnetConfig, data: DataSplits, opts: RecalibrationOptions = {}, source = 'trainer'): CalibratedSubnet {
  const stats = recalibrateBn(params, config, data, opts);
  const tensors = tensorsWithStats(params, stats);
  const id = subnetId(params.space, config);
  const calibration: BnCalibration = {
    config: canonicalConfig(params.space, config),
    subnetId: id,
    images: data.bnSubset.length,
    batchSize: opts.batchSize ?? 200,
    seed: opts.seed ?? 0,
  };
  return { config, stats, tensors, calibration, weights: inMemoryWeights(params.space, tensors, `${source}, BN recalibrated for ${id}`) };
}

export function exportCalibrated(params: SupernetParams, calibrated: CalibratedSubnet): OnnxExport {
  return exportSubnet({ space: params.space, config: calibrated.config, weights: calibrated.weights });
}
