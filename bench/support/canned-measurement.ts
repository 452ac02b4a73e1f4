/** The measurement protocol-level bench agents answer every job with: no device time at all. */
import type { MeasurementInput } from '../../core/measurement';

export function cannedMeasurement(runtime: string): MeasurementInput {
  const now = Date.now();
  return {
    status: 'ok',
    stats: { runs: 30, minMs: 1, medianMs: 1, meanMs: 1, p90Ms: 1, maxMs: 1, stdMs: 0, cv: 0 },
    samplesMs: Array(30).fill(1),
    provenance: { runtime, runtimeVersion: '0', executionProvider: 'none', threads: 1, inputShape: [1], clockSource: 'none', warmupRuns: 0, warmupMs: 0 },
    startedAt: now,
    finishedAt: now,
  };
}
