/**
 * The edge backend: onnxruntime-node on this machine's CPU. One InferenceSession per job, a
 * seeded random input of the job's shape, and the runtime's timing loop on process.hrtime.
 */
import { readFile } from 'node:fs/promises';
import { arch, availableParallelism, cpus, hostname, platform, release, totalmem, type as osType } from 'node:os';
import * as ort from 'onnxruntime-node';
import { errorMessage } from '../../core/errors';
import { failedMeasurement, type Provenance } from '../../core/measurement';
import type { DeviceDescriptionInput } from '../../core/protocol';
import { abortReason, throwIfAborted } from '../runtime/abort';
import { BackendClosedError, type BackendJob, type DeviceBackend } from '../runtime/backend';
import { INPUT_SEED, seededInput } from '../runtime/model-input';
import { nodeClock } from '../runtime/node-platform';
import { timeRuns, timingMeasurement, type Clock, type ProvenanceBase } from '../runtime/timing';
import { availableProviders, describeBackends, parseCpuInfo, parseOsRelease, type OrtBackendInfo } from './parse';

export const EDGE_RUNTIME = 'onnxruntime-node';

export interface EdgeBackendOptions {
  /** Intra-op threads when the job does not say; default: every core. */
  threads?: number;
  clock?: Clock;
}

export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

function ortBackends(): OrtBackendInfo[] {
  try {
    return (ort.listSupportedBackends?.() ?? []) as OrtBackendInfo[];
  } catch {
    return [{ name: 'cpu', bundled: true }];
  }
}

const readText = (path: string) => readFile(path, 'utf8').catch(() => '');

export function createEdgeBackend(options: EdgeBackendOptions = {}): DeviceBackend {
  const defaultThreads = options.threads ?? availableParallelism();
  const clock = options.clock ?? nodeClock();
  let session: ort.InferenceSession | null = null;
  let sessionThreads = defaultThreads;
  let closed = false;

  const releaseSession = async () => {
    const old = session;
    session = null;
    await old?.release();
  };

  const provenanceBase = (job: BackendJob, threads: number): ProvenanceBase => ({
    runtime: EDGE_RUNTIME,
    runtimeVersion: ortVersion(),
    executionProvider: 'cpu',
    threads,
    inputShape: job.inputShape,
    extra: { interOpThreads: 1, graphOptimization: 'all', inputSeed: INPUT_SEED, node: process.version, label: job.label || null },
  });

  return {
    kind: 'edge',

    async describe(): Promise<DeviceDescriptionInput> {
      const cpu = parseCpuInfo(await readText('/proc/cpuinfo'));
      const distro = parseOsRelease(await readText('/etc/os-release'));
      const product = (await readText('/sys/class/dmi/id/product_name')).trim();
      const backends = ortBackends();
      const name = hostname();
      return {
        model: product || null,
        cpu: cpu.model ?? cpus()[0]?.model ?? null,
        cores: availableParallelism(),
        memoryBytes: totalmem(),
        os: `${distro ? `${distro}, ` : ''}${osType()} ${release()} ${arch()}`,
        runtime: EDGE_RUNTIME,
        runtimeVersion: ortVersion(),
        executionProviders: availableProviders(backends),
        threads: defaultThreads,
        specs: {
          hostname: name,
          hostKey: name,
          platform: platform(),
          arch: arch(),
          node: process.version,
          physicalCores: cpu.physicalCores,
          cpuMHz: cpu.mhz,
          simd: cpu.simd.join(' '),
          ortBackends: describeBackends(backends),
        },
      };
    },

    async prepare(job, signal) {
      if (closed) throw new BackendClosedError('edge');
      throwIfAborted(signal);
      await releaseSession();
      sessionThreads = job.settings.threads ?? defaultThreads;
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: ['cpu'],
        intraOpNumThreads: sessionThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      };
      const created = job.model.path
        ? await ort.InferenceSession.create(job.model.path, sessionOptions)
        : await ort.InferenceSession.create(await job.model.read(), sessionOptions);
      if (closed || signal.aborted) {
        await created.release();
        throw closed ? new BackendClosedError('edge') : abortReason(signal);
      }
      if (!created.inputNames.includes(job.inputName)) {
        await created.release();
        throw new Error(`the model has no input "${job.inputName}"; its inputs are: ${created.inputNames.join(', ') || 'none'}`);
      }
      session = created;
    },

    async measure(job, signal, progress) {
      const startedAt = Date.now();
      const base = provenanceBase(job, sessionThreads);
      const failed = (error: string) =>
        failedMeasurement(error, startedAt, { ...base, clockSource: clock.name, timerResolutionMs: null, warmupRuns: 0, warmupMs: 0 } satisfies Provenance);
      const current = session;
      if (closed) throw new BackendClosedError('edge');
      if (!current) return failed('measure called before a successful prepare');
      throwIfAborted(signal);
      let feeds: Record<string, ort.Tensor>;
      try {
        const meta = current.inputMetadata.find((m) => m.name === job.inputName);
        if (meta?.isTensor && meta.type !== 'float32') return failed(`input "${job.inputName}" is ${meta.type}; this agent feeds float32`);
        feeds = { [job.inputName]: new ort.Tensor('float32', seededInput(job.inputShape), job.inputShape) };
      } catch (error) {
        return failed(`bad input: ${errorMessage(error)}`);
      }
      try {
        const result = await timeRuns(() => current.run(feeds), { settings: job.settings, clock, signal, progress });
        return timingMeasurement(result, base, startedAt);
      } catch (error) {
        if (signal.aborted) throw abortReason(signal);
        return failed(`inference failed: ${errorMessage(error)}`);
      }
    },

    async close() {
      closed = true;
      await releaseSession();
    },
  };
}
