/**
 * The "devices" this machine can offer for real latency data without a coordinator:
 * onnxruntime-node (native CPU EP) and onnxruntime-web (WebAssembly, run in Node), each with a
 * fixed thread count. They differ as real devices do (kernels, SIMD width, scheduling), which is
 * what twin transfer across devices needs. Timing follows core/measurement.ts: warm-up of at
 * least N runs and T ms, timed runs of at least N and T ms (plannedRuns), summarize().
 */
import * as ortNode from 'onnxruntime-node';
import { plannedRuns, summarize, type LatencyStats, type MeasurementSettings } from '../../core/measurement';

export const LAB_DEVICES = ['ort-node-1t', 'ort-node-2t', 'ort-web-1t'] as const;
export type LabDevice = (typeof LAB_DEVICES)[number];

export interface LabSession {
  run(): Promise<void>;
  release(): Promise<void>;
}

type OrtModule = typeof ortNode;

async function loadOrt(device: LabDevice): Promise<OrtModule> {
  if (device === 'ort-web-1t') {
    const web = (await import('onnxruntime-web')) as unknown as OrtModule;
    web.env.wasm.numThreads = 1;
    web.env.logLevel = 'error';
    return web;
  }
  return ortNode;
}

export async function openSession(device: LabDevice, bytes: Uint8Array, inputShape: number[], seed = 1): Promise<LabSession> {
  const ort = await loadOrt(device);
  const threads = device === 'ort-node-2t' ? 2 : 1;
  const session = await ort.InferenceSession.create(
    bytes,
    device === 'ort-web-1t'
      ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }
      : { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' },
  );
  const data = new Float32Array(inputShape.reduce((a, b) => a * b, 1));
  let state = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = state / 2 ** 32 - 0.5;
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, inputShape) };
  return {
    run: async () => {
      await session.run(feeds);
    },
    release: () => session.release(),
  };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Warm-up, timed runs, re-measure while CV > maxCv (keeping the steadiest attempt). */
export interface LabStats extends LatencyStats {
  attempts: number;
  /** Low quantiles of the kept attempt's samples: robust to runs slowed by other processes. */
  p10Ms: number;
  p25Ms: number;
  /**
   * Process CPU time per run over the kept attempt (user + system). For a single-threaded
   * runtime it is the run's compute time, barely touched by other processes competing for the
   * cores, unlike wall-clock time; on an idle machine the two agree.
   */
  cpuMsPerRun: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.ceil(pos)] - sorted[lo]) * (pos - lo);
}

export async function timeSession(session: LabSession, settings: MeasurementSettings): Promise<LabStats> {
  const warmStart = now();
  const recent: number[] = [];
  for (let i = 0; i < settings.maxRuns && (i < settings.warmupRuns || now() - warmStart < settings.warmupMinMs); i++) {
    const t = now();
    await session.run();
    recent.push(now() - t);
  }
  let estimate = recent.slice(-5).sort((a, b) => a - b)[Math.floor(Math.min(5, recent.length) / 2)] ?? 0;
  let best: LatencyStats | null = null;
  let bestSamples: number[] = [];
  let bestCpu = 0;
  let attempts = 0;
  while (attempts <= settings.maxRemeasures) {
    attempts++;
    const planned = plannedRuns(settings, estimate);
    const samples: number[] = [];
    let total = 0;
    const cpuStart = process.cpuUsage();
    while (samples.length < settings.maxRuns && (samples.length < planned || total < settings.minTimedMs)) {
      const t = now();
      await session.run();
      const ms = now() - t;
      samples.push(ms);
      total += ms;
    }
    const cpu = process.cpuUsage(cpuStart);
    const stats = summarize(samples);
    if (!best || stats.cv < best.cv) {
      best = stats;
      bestCpu = (cpu.user + cpu.system) / 1000 / samples.length;
      bestSamples = samples.sort((a, b) => a - b);
    }
    if (best.cv <= settings.maxCv) break;
    estimate = stats.medianMs;
  }
  return { ...(best as LatencyStats), attempts, p10Ms: quantile(bestSamples, 0.1), p25Ms: quantile(bestSamples, 0.25), cpuMsPerRun: bestCpu };
}
