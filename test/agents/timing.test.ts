import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../agents/runtime/abort';
import { clockResolutionMs, timeRuns, timingMeasurement, type Clock } from '../../agents/runtime/timing';
import { Measurement, MeasurementSettings, type MeasurementSettingsInput } from '../../core/measurement';

/** A clock that only moves when a run says how long it took: the loop's rules, without noise. */
function virtualDevice(durations: (call: number) => number) {
  let now = 0;
  let calls = 0;
  const clock: Clock = { name: 'virtual', now: () => now };
  const run = async () => {
    now += durations(calls++);
  };
  return { clock, run, calls: () => calls };
}

const settings = (input: MeasurementSettingsInput) => MeasurementSettings.parse(input);
const signal = () => new AbortController().signal;

describe('timeRuns', () => {
  it('warms up for at least warmupRuns and at least warmupMinMs', async () => {
    const byTime = virtualDevice(() => 10);
    const r1 = await timeRuns(byTime.run, { settings: settings({ warmupRuns: 5, warmupMinMs: 100, runs: 1, minTimedMs: 0 }), clock: byTime.clock, signal: signal() });
    expect(r1.warmupRuns).toBe(10);
    expect(r1.warmupMs).toBe(100);
    const byCount = virtualDevice(() => 50);
    const r2 = await timeRuns(byCount.run, { settings: settings({ warmupRuns: 5, warmupMinMs: 100, runs: 1, minTimedMs: 0 }), clock: byCount.clock, signal: signal() });
    expect(r2.warmupRuns).toBe(5);
  });

  it('times at least `runs` runs and at least minTimedMs, capped by maxRuns', async () => {
    const fast = virtualDevice(() => 10);
    const r1 = await timeRuns(fast.run, { settings: settings({ warmupRuns: 2, warmupMinMs: 0, runs: 30, minTimedMs: 1000 }), clock: fast.clock, signal: signal() });
    expect(r1.stats.runs).toBe(100);
    expect(r1.samplesMs).toHaveLength(100);
    const slow = virtualDevice(() => 100);
    const r2 = await timeRuns(slow.run, { settings: settings({ warmupRuns: 2, warmupMinMs: 0, runs: 30, minTimedMs: 1000 }), clock: slow.clock, signal: signal() });
    expect(r2.stats.runs).toBe(30);
    const capped = virtualDevice(() => 1);
    const r3 = await timeRuns(capped.run, { settings: settings({ warmupRuns: 2, warmupMinMs: 0, runs: 10, minTimedMs: 1000, maxRuns: 50 }), clock: capped.clock, signal: signal() });
    expect(r3.stats.runs).toBe(50);
  });

  it('keeps timing past the plan when warm-up underestimated the run time', async () => {
    // Warm-up runs take 100 ms, timed ones 1 ms: the plan (10 runs) is not enough for 200 ms.
    const device = virtualDevice((call) => (call < 3 ? 100 : 1));
    const r = await timeRuns(device.run, { settings: settings({ warmupRuns: 3, warmupMinMs: 0, runs: 10, minTimedMs: 200 }), clock: device.clock, signal: signal() });
    expect(r.stats.runs).toBe(200);
  });

  it('re-measures while CV > maxCv and keeps the most stable attempt', async () => {
    // 2 warm-up runs, then a noisy attempt of 10 runs, then steady ones.
    const device = virtualDevice((call) => (call < 2 ? 5 : call < 12 ? (call % 2 ? 1 : 9) : 5));
    const r = await timeRuns(device.run, { settings: settings({ warmupRuns: 2, warmupMinMs: 0, runs: 10, minTimedMs: 0, maxCv: 0.1, maxRemeasures: 2 }), clock: device.clock, signal: signal() });
    expect(r.status).toBe('ok');
    expect(r.attempts).toBe(2);
    expect(r.stats.cv).toBe(0);
    expect(r.stats.medianMs).toBe(5);
  });

  it('marks a run that never settles as unstable, with the reason, after maxRemeasures', async () => {
    const device = virtualDevice((call) => (call % 2 ? 1 : 9));
    const r = await timeRuns(device.run, { settings: settings({ warmupRuns: 2, warmupMinMs: 0, runs: 10, minTimedMs: 0, maxCv: 0.1, maxRemeasures: 2 }), clock: device.clock, signal: signal() });
    expect(r.status).toBe('unstable');
    expect(r.attempts).toBe(3);
    expect(r.error).toMatch(/CV 0\.\d+ stayed above maxCv 0\.1 after 3 attempts/);
    expect(device.calls()).toBe(2 + 30);
  });

  it('rejects with the abort reason between runs', async () => {
    const controller = new AbortController();
    const device = virtualDevice(() => 1);
    const run = async () => {
      await device.run();
      if (device.calls() === 7) controller.abort(new AbortedError('stop now'));
    };
    await expect(timeRuns(run, { settings: settings({ warmupRuns: 2, warmupMinMs: 0, runs: 100, minTimedMs: 0 }), clock: device.clock, signal: controller.signal })).rejects.toThrow('stop now');
    expect(device.calls()).toBe(7);
  });

  it('lets timers run during a long loop of runs that never yield themselves', async () => {
    const device = virtualDevice(() => 1);
    let firedAtCall = -1;
    setTimeout(() => (firedAtCall = device.calls()), 0);
    await timeRuns(device.run, { settings: settings({ warmupRuns: 0, warmupMinMs: 0, runs: 1000, minTimedMs: 0 }), clock: device.clock, signal: signal(), yieldIntervalMs: 50 });
    expect(firedAtCall).toBeGreaterThan(0);
    expect(firedAtCall).toBeLessThanOrEqual(60);
  });

  it('reports progress per phase and builds a valid measurement', async () => {
    const device = virtualDevice(() => 2);
    const seen: string[] = [];
    const r = await timeRuns(device.run, {
      settings: settings({ warmupRuns: 2, warmupMinMs: 0, runs: 3, minTimedMs: 0 }),
      clock: device.clock,
      signal: signal(),
      progress: (phase, done, total) => seen.push(`${phase}:${done}/${total}`),
    });
    expect(seen).toEqual(['warmup:1/2', 'warmup:2/2', 'measure:1/3', 'measure:2/3', 'measure:3/3']);
    const m = timingMeasurement(r, { runtime: 'virtual', runtimeVersion: '1', executionProvider: 'none', threads: 1, inputShape: [1, 2], extra: {} }, 1000, 2000);
    expect(Measurement.parse(m)).toMatchObject({ status: 'ok', provenance: { clockSource: 'virtual', warmupRuns: 2, warmupMs: 4 } });
  });
});

describe('clockResolutionMs', () => {
  it('finds the smallest tick of a clock, and null for a clock that never moves', () => {
    let t = 0;
    expect(clockResolutionMs({ name: 'ticks', now: () => (t += 0.25) })).toBe(0.25);
    expect(clockResolutionMs({ name: 'stuck', now: () => 5 }, 10, 1000)).toBeNull();
  });
});
