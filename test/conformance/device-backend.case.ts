/**
 * The DeviceBackend conformance suite: one set of cases, run against every backend (edge,
 * browser, android, and simulators). Use it from a test file:
 *
 *   describeBackendConformance('edge', () => createEdgeBackend({ threads: 1 }));
 *
 * The cases check the contract written in agents/runtime/backend.ts through the same
 * measureJob the runtime uses, on a real exported OFA subnet and on broken models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../agents/runtime/abort';
import type { BackendFactory, BackendJob, DeviceBackend, LocalModel } from '../../agents/runtime/backend';
import { measureJob, type JobPhase } from '../../agents/runtime/job-runner';
import { Measurement, MeasurementSettings, summarize, type MeasurementSettingsInput } from '../../core/measurement';
import { AGENT_KINDS, DeviceDescription } from '../../core/protocol';
import { garbageModel, localModel, tinyModel, truncatedModel } from './test-models';

export interface ConformanceOptions {
  /** Per-case timeout; backends with a slow start (a browser page, adb) need more. */
  timeoutMs?: number;
  /** How long an abort may take to be honoured (one model run plus the backend's hop). */
  abortWithinMs?: number;
}

/** Small settings so the suite stays quick on a shared 2-core box. */
export const QUICK_SETTINGS: MeasurementSettingsInput = { warmupRuns: 3, warmupMinMs: 20, runs: 12, minTimedMs: 40, maxCv: 0.5, maxRemeasures: 1, threads: 1 };

function job(model: LocalModel, overrides: Partial<BackendJob> = {}, settings: MeasurementSettingsInput = QUICK_SETTINGS): BackendJob {
  return {
    jobId: `conformance-${Math.random().toString(36).slice(2, 8)}`,
    attempt: 1,
    label: 'conformance',
    model,
    inputName: 'input',
    inputShape: tinyModel().inputShape,
    settings: MeasurementSettings.parse(settings),
    ...overrides,
  };
}

function expectFailed(m: Measurement, pattern?: RegExp): void {
  expect(Measurement.safeParse(m).success).toBe(true);
  expect(m.status).toBe('failed');
  expect(m.error).toBeTruthy();
  if (pattern) expect(m.error).toMatch(pattern);
  expect(m.stats).toBeNull();
}

export function describeBackendConformance(name: string, factory: BackendFactory, options: ConformanceOptions = {}): void {
  const timeout = options.timeoutMs ?? 60_000;

  describe(`DeviceBackend conformance: ${name}`, () => {
    let backend: DeviceBackend;
    let good: LocalModel;

    beforeAll(async () => {
      backend = await factory();
      good = localModel(tinyModel().bytes);
    }, timeout);
    afterAll(async () => backend?.close());

    it('describes its device in a form the protocol accepts', async () => {
      expect(AGENT_KINDS).toContain(backend.kind);
      const parsed = DeviceDescription.safeParse(await backend.describe());
      expect(parsed.error?.issues ?? []).toEqual([]);
      const device = parsed.data as DeviceDescription;
      expect(device.runtime.length).toBeGreaterThan(0);
      expect(device.runtimeVersion.length).toBeGreaterThan(0);
    }, timeout);

    it('measures a real model: a distribution with sane statistics and provenance', async () => {
      const device = DeviceDescription.parse(await backend.describe());
      const j = job(good);
      const phases = new Set<JobPhase>();
      const m = await measureJob(backend, j, new AbortController().signal, (phase) => phases.add(phase));
      expect(Measurement.safeParse(m).error?.issues ?? []).toEqual([]);
      expect(m.error === null || m.status === 'unstable').toBe(true);
      expect(['ok', 'unstable']).toContain(m.status);
      const s = m.stats!;
      expect(s.runs).toBeGreaterThanOrEqual(j.settings.runs);
      expect(m.samplesMs).toHaveLength(s.runs);
      expect(s.minMs).toBeGreaterThan(0);
      expect(s.minMs).toBeLessThanOrEqual(s.medianMs);
      expect(s.medianMs).toBeLessThanOrEqual(s.p90Ms);
      expect(s.p90Ms).toBeLessThanOrEqual(s.maxMs);
      expect(s.meanMs).toBeGreaterThanOrEqual(s.minMs);
      expect(s.meanMs).toBeLessThanOrEqual(s.maxMs);
      // The stats are those of the samples reported, not numbers made up beside them.
      const again = summarize(m.samplesMs);
      expect(again.medianMs).toBeCloseTo(s.medianMs, 4);
      expect(again.cv).toBeCloseTo(s.cv, 3);
      expect(m.attempts).toBeGreaterThanOrEqual(1);
      expect(m.attempts).toBeLessThanOrEqual(1 + j.settings.maxRemeasures);
      const p = m.provenance!;
      expect(p.runtime).toBe(device.runtime);
      expect(p.runtimeVersion).toBe(device.runtimeVersion);
      expect(p.executionProvider.length).toBeGreaterThan(0);
      expect(p.inputShape).toEqual(j.inputShape);
      expect(p.clockSource.length).toBeGreaterThan(0);
      expect(p.warmupRuns).toBeGreaterThanOrEqual(j.settings.warmupRuns);
      expect(p.warmupMs).toBeGreaterThan(0);
      expect(m.finishedAt).toBeGreaterThanOrEqual(m.startedAt);
      expect(phases.has('measure')).toBe(true);
    }, timeout);

    it('reports a truncated model as a failed measurement with the reason, without throwing', async () => {
      const m = await measureJob(backend, job(localModel(truncatedModel())), new AbortController().signal);
      expectFailed(m);
    }, timeout);

    it('reports bytes that are not ONNX as a failed measurement', async () => {
      expectFailed(await measureJob(backend, job(localModel(garbageModel())), new AbortController().signal));
    }, timeout);

    it('reports a model that loads but cannot run (wrong input shape) as a failed measurement', async () => {
      const m = await measureJob(backend, job(good, { inputShape: [1, 1, 7, 5] }), new AbortController().signal);
      expectFailed(m);
    }, timeout);

    it('reports a wrong input name as a failed measurement naming it', async () => {
      expectFailed(await measureJob(backend, job(good, { inputName: 'no_such_input' }), new AbortController().signal), /no_such_input/);
    }, timeout);

    it('still measures after failures', async () => {
      const m = await measureJob(backend, job(good), new AbortController().signal);
      expect(['ok', 'unstable']).toContain(m.status);
    }, timeout);

    it('stops promptly when the signal aborts mid-measurement', async () => {
      const controller = new AbortController();
      const long = job(good, {}, { ...QUICK_SETTINGS, minTimedMs: 120_000, maxRuns: 1_000_000 });
      let measuring!: () => void;
      const started = new Promise<void>((resolve) => (measuring = resolve));
      const running = measureJob(backend, long, controller.signal, (phase) => phase === 'measure' && measuring());
      const outcome = running.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await Promise.race([started, outcome]);
      const abortedAt = Date.now();
      controller.abort(new AbortedError('conformance abort'));
      const result = await outcome;
      expect(result).toBeInstanceOf(Error);
      expect((result as Error).message).toMatch(/conformance abort/);
      expect(Date.now() - abortedAt).toBeLessThan(options.abortWithinMs ?? 10_000);
    }, timeout);

    it('rejects at once when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new AbortedError('already aborted'));
      await expect(measureJob(backend, job(good), controller.signal)).rejects.toThrow(/already aborted/);
    }, timeout);

    it('close releases the backend: idempotent, and later prepares are refused', async () => {
      const own = await factory();
      expect(['ok', 'unstable']).toContain((await measureJob(own, job(good), new AbortController().signal)).status);
      await own.close();
      await own.close();
      await expect(own.prepare(job(good), new AbortController().signal)).rejects.toThrow(/closed/);
    }, timeout);
  });
}
