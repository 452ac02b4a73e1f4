import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { derivedStats, parsePerfTestOutput, perfTestMeasurement, type PerfTestContext } from '../../../agents/android/parse';
import { Measurement } from '../../../core/measurement';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'perftest', name), 'utf8');

const ctx: PerfTestContext = {
  startedAt: 1_000,
  finishedAt: 2_000,
  provenance: { runtime: 'onnxruntime_perf_test', runtimeVersion: 'test', executionProvider: 'cpu', threads: 4, inputShape: [1, 3, 224, 224], clockSource: 'onnxruntime_perf_test', timerResolutionMs: null, extra: {} },
  warmupRuns: 1,
  warmupMs: 10,
  maxCv: 0.1,
};

describe('onnxruntime_perf_test output (captured real runs)', () => {
  it('ORT 1.3.1 on Android: the summary without percentiles', () => {
    const out = parsePerfTestOutput(fixture('ort131-android-acl-squeezenet.txt'));
    expect(out.failure).toBeNull();
    expect(out.sessionCreationMs).toBeCloseTo(127.918, 6);
    expect(out.totalInferenceMs).toBeCloseTo(1448.71, 6);
    expect(out.requests).toBe(10);
    expect(out.averageMs).toBeCloseTo(144.871, 6);
    expect(out.runTimeMs).toBeCloseTo(1449.16, 6);
    expect(out.cpuUsagePercent).toBe(68);
    expect(out.peakWorkingSetBytes).toBe(158171136);
    // lines this build did not print are absent, not zero
    expect(out.firstInferenceMs).toBeNull();
    expect(out.inferencesPerSecond).toBeNull();
    expect(out.latency.p50Ms).toBeNull();
    expect(out.samplesMs).toEqual([]);
    const m = perfTestMeasurement(out, ctx);
    expect(Measurement.safeParse(m).success).toBe(true);
    expect(m.status).toBe('ok');
    expect(m.stats).toMatchObject({ runs: 10, meanMs: 144.871, medianMs: 144.871, stdMs: 0, cv: 0 });
    expect(m.samplesMs).toEqual([]);
    expect(m.provenance!.extra.derivedStats).toMatch(/medianMs.*stdMs,cv unknown/);
    expect(m.provenance!.extra.sessionCreationMs).toBeCloseTo(127.918, 6);
  });

  it('current format with percentiles: seconds become ms, the no-space block is read too', () => {
    const out = parsePerfTestOutput(fixture('spacemit-yolov8n-stats.txt'));
    expect(out.failure).toBeNull();
    expect(out.intraOpThreads).toBe(4);
    expect(out.sessionCreationMs).toBeCloseTo(1144.76, 6);
    expect(out.firstInferenceMs).toBe(248);
    expect(out.requests).toBe(10);
    expect(out.averageMs).toBeCloseTo(82.3382, 6);
    expect(out.inferencesPerSecond).toBeCloseTo(12.1435, 6);
    expect(out.latency).toEqual({ minMs: expect.closeTo(80.8129, 6), maxMs: expect.closeTo(83.8817, 6), p50Ms: expect.closeTo(82.6095, 6), p90Ms: expect.closeTo(83.8817, 6), p95Ms: expect.closeTo(83.8817, 6), p99Ms: expect.closeTo(83.8817, 6), p999Ms: expect.closeTo(83.8817, 6) });
    expect(out.otherLines).toEqual(['using SpaceMITExecutionProvider']);
    const derived = derivedStats(out)!;
    expect(derived.stats.medianMs).toBeCloseTo(82.6095, 6);
    expect(derived.stats.stdMs).toBeCloseTo((83.8817 - 82.6095) / 1.2816, 6);
    expect(derived.derived).toMatch(/P90-P50/);
    expect(derived.derived).not.toMatch(/minMs|maxMs|medianMs;/);
  });

  it('January 2020: no space after the colon, an ORT log line in between', () => {
    const out = parsePerfTestOutput(fixture('pr2798-nospace-with-log.txt'));
    expect(out.failure).toBeNull();
    expect(out.intraOpThreads).toBe(0);
    expect(out.sessionCreationMs).toBeCloseTo(1841.49, 6);
    expect(out.requests).toBe(1);
    expect(out.averageMs).toBeCloseTo(734.606, 6);
    expect(out.runTimeMs).toBeCloseTo(734.761, 6);
    expect(out.otherLines).toHaveLength(1);
    expect(out.otherLines[0]).toMatch(/\[W:onnxruntime/);
  });

  it('duration mode on an ARMv8 board (7160 requests)', () => {
    const out = parsePerfTestOutput(fixture('issue4331-armv8-duration-600s.txt'));
    expect(out).toMatchObject({ requests: 7160, failure: null });
    expect(out.totalInferenceMs).toBeCloseTo(600051, 3);
    expect(perfTestMeasurement(out, ctx).stats!.meanMs).toBeCloseTo(83.8059, 6);
  });

  it('the oldest layout: Total time cost, Total iterations, Min Latency is x sec', () => {
    const out = parsePerfTestOutput(fixture('issue17313-old-total-time-cost.txt'));
    expect(out.failure).toBeNull();
    expect(out.requests).toBe(1000);
    expect(out.averageMs).toBeCloseTo(58.8053, 6);
    expect(out.runTimeMs).toBeCloseTo(58810.2, 3);
    expect(out.latency.minMs).toBeCloseTo(55.9777, 6);
    expect(out.latency.p999Ms).toBeCloseTo(62.3472, 6);
    const m = perfTestMeasurement(out, ctx);
    expect(m.stats).toMatchObject({ runs: 1000, minMs: expect.closeTo(55.9777, 6), medianMs: expect.closeTo(58.7108, 6), maxMs: expect.closeTo(62.3472, 6) });
  });

  it('a failed run: a failed measurement quoting what the tool said, no throw', () => {
    const out = parsePerfTestOutput(fixture('issue21267-failure-no-test-dir.txt'));
    expect(out.failure).toMatch(/printed no summary: .*test case dir doesn't exist/);
    const m = perfTestMeasurement(out, ctx);
    expect(Measurement.safeParse(m).success).toBe(true);
    expect(m).toMatchObject({ status: 'failed', stats: null, samplesMs: [] });
    expect(m.error).toMatch(/test case dir doesn't exist/);
  });
});

describe('onnxruntime_perf_test layouts built from the tool source', () => {
  const verbose = (costs: string[]) =>
    [
      'Setting intra_op_num_threads to 2',
      ...costs.map((c, i) => `iteration:${i + 1},time_cost:${c}`),
      'Session creation time cost: 0.0102755 s',
      'First inference time cost: 3 ms',
      'Total inference time cost: 0.000380 s',
      `Total inference requests: ${costs.length}`,
      'Average inference time cost total: 0.095000 ms',
      'Total inference run time: 0.000452 s',
      'Number of inferences per second: 8849.56 ',
      'Avg CPU usage: -1 %',
      'Peak working set size: 118407168 bytes',
      'rc=0',
    ].join('\r\n');

  it('reads -v iteration lines (scientific notation too) as the samples; stats are theirs', () => {
    const out = parsePerfTestOutput(verbose(['9.5e-05', '0.0001', '8.8e-05', '9.7e-05']));
    expect(out.failure).toBeNull();
    expect(out.samplesMs.map((v) => Number(v.toFixed(6)))).toEqual([0.095, 0.1, 0.088, 0.097]);
    expect(out.averageMs).toBeCloseTo(0.095, 9);
    expect(out.cpuUsagePercent).toBe(-1);
    expect(out.exitStatus).toBe(0);
    const m = perfTestMeasurement(out, ctx);
    expect(m.samplesMs).toHaveLength(4);
    expect(m.stats!.runs).toBe(4);
    expect(m.stats!.minMs).toBeCloseTo(0.088, 9);
    expect(m.provenance!.extra.statsFrom).toMatch(/iteration/);
    expect(m.provenance!.extra.derivedStats).toBeUndefined();
  });

  it('a run with a high CV is unstable, with the reason', () => {
    const m = perfTestMeasurement(parsePerfTestOutput(verbose(['0.001', '0.004', '0.001', '0.001'])), ctx);
    expect(m.status).toBe('unstable');
    expect(m.error).toMatch(/CV .* above maxCv 0.1/);
  });

  it('Run failed: is a failed measurement with the message', () => {
    const out = parsePerfTestOutput('Session creation time cost: 0.1 s\nRun failed:Got invalid dimensions for input: input for the following indices\nrc=255\n');
    expect(out.failure).toBe('Got invalid dimensions for input: input for the following indices');
    expect(perfTestMeasurement(out, ctx).error).toMatch(/invalid dimensions/);
  });

  it('truncated output (fewer iteration lines than requests), a bad exit status, garbage: failed, never thrown', () => {
    expect(parsePerfTestOutput(verbose(['0.001', '0.002']).replace('requests: 2', 'requests: 3')).failure).toMatch(/truncated: 2 iteration lines for 3 requests/);
    expect(parsePerfTestOutput(verbose(['0.001']).replace('rc=0', 'rc=139')).failure).toMatch(/exited with status 139/);
    expect(parsePerfTestOutput('/system/bin/sh: ./onnxruntime_perf_test: can\'t execute: Permission denied\nrc=126\n').failure).toMatch(/no summary and exited with status 126: .*Permission denied/);
    expect(parsePerfTestOutput('').failure).toMatch(/no summary \(no output\)/);
    expect(parsePerfTestOutput('Total inference requests: 0\n').failure).toMatch(/0 requests/);
    expect(parsePerfTestOutput('Total inference requests: 5\n').failure).toMatch(/neither per-run times/);
    expect(parsePerfTestOutput('iteration:1,time_cost:nan\nTotal inference requests: 1\n').failure).toMatch(/not a finite number/);
    for (const junk of ['\u0000\u0001binary', 'Total inference requests: lots', 'P50 Latency: -3 s\nTotal inference requests: 2\nAverage inference time cost: x ms']) {
      const m = perfTestMeasurement(parsePerfTestOutput(junk), ctx);
      expect(Measurement.safeParse(m).success).toBe(true);
      expect(m.status).toBe('failed');
    }
  });
});
