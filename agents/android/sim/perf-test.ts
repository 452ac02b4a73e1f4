/**
 * The simulator's stand-in for onnxruntime_perf_test: it runs the pushed model on the host with
 * onnxruntime-node, in the real tool's order (session creation, one untimed warm-up run, timed
 * runs in times or duration mode) and prints the real tool's output in the profile's format
 * year. Each timed run is stretched to `slowdown x throttle x pinning` times its host duration by
 * waiting out the difference, so the printed latencies are wall-clock measurements of a
 * slower "phone", and the thermal model heats while it works.
 */
import { cpus } from 'node:os';
import { dirname, posix } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createRng, type Rng } from '../../../core/rng';
import { cppDouble, cppToString } from './cpp-format';
import { PerfArgsError, parsePerfTestArgs, type PerfTestArgs } from './perf-test-args';
import { cpuClusters, type SimProfile } from './profile';
import type { Writer } from './shell/interpret';
import type { ThermalModel } from './thermal';
import { Vfs } from './vfs';

export interface PerfTestEnv {
  vfs: Vfs;
  profile: SimProfile;
  thermal: ThermalModel;
  cpuMask: bigint | null;
  cwd: string;
  out: Writer;
  err: Writer;
  signal: AbortSignal;
}

const USAGE = `perf_test [options...] model_path [result_file]
Options:
\t-m [test_mode]: Specifies the test mode. Value could be 'duration' or 'times'.
\t-e [cpu|cuda|dnnl|tensorrt|openvino|dml|acl|nnapi|coreml|qnn|snpe|rocm|migraphx|xnnpack|vitisai|webgpu]: Specifies the provider.
\t-r [repeated_times]: Specifies the repeated times if running in 'times' test mode. Default:1000.
\t-t [seconds_to_run]: Specifies the seconds to run for 'duration' mode. Default:600.
\t-x [intra_op_num_threads]: Sets the number of threads used to parallelize the execution within nodes.
\t-I: Generate tensor input binding. Free dimensions are treated as 1 unless overridden using -f.
\t-S: Random seed value used to generate input data.
\t-v: Show verbose information.
\t-h: help
`;
const TYPED: Partial<Record<string, (n: number, rng: Rng) => ort.Tensor['data']>> = {
  float32: (n, rng) => Float32Array.from({ length: n }, () => rng.next()),
  float64: (n, rng) => Float64Array.from({ length: n }, () => rng.next()),
  int32: (n, rng) => Int32Array.from({ length: n }, () => rng.int(256)),
  int64: (n, rng) => BigInt64Array.from({ length: n }, () => BigInt(rng.int(256))),
  uint8: (n, rng) => Uint8Array.from({ length: n }, () => rng.int(256)),
  int8: (n, rng) => Int8Array.from({ length: n }, () => rng.int(256) - 128),
  bool: (n, rng) => Uint8Array.from({ length: n }, () => rng.int(2)),
};
const OPT_LEVELS: Array<[number, ort.InferenceSession.SessionOptions['graphOptimizationLevel']]> = [
  [0, 'disabled'],
  [1, 'basic'],
  [2, 'extended'],
];

/** How much slower than the host each run should take: profile slowdown, throttling, pinning. */
export function stretchFactor(profile: SimProfile, thermal: ThermalModel, cpuMask: bigint | null): number {
  let pinning = 1;
  if (cpuMask !== null) {
    const allowed = cpuClusters(profile).filter((_, i) => (cpuMask >> BigInt(i)) & 1n);
    if (allowed.length) pinning = 1 / Math.max(...allowed.map((c) => c.relativeSpeed));
  }
  return profile.perfTest.slowdown * thermal.throttle() * pinning;
}

async function waitUntil(startMs: number, targetMs: number, signal: AbortSignal): Promise<void> {
  const remaining = targetMs - (performance.now() - startMs);
  if (remaining > 2) await new Promise<void>((r) => setTimeout(r, remaining - 1.5));
  while (performance.now() - startMs < targetMs && !signal.aborted) {
    // spin out the last ~1.5 ms: timers are too coarse for short runs
  }
}

function makeFeeds(session: ort.InferenceSession, args: PerfTestArgs): { feeds: Record<string, ort.Tensor> } | { error: string } {
  const rng = createRng(args.seed < 0 ? Date.now() : args.seed);
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) return { error: `input ${meta.name} is not a tensor` };
    const make = TYPED[meta.type];
    if (!make) return { error: `the simulator cannot generate inputs of type ${meta.type} (input ${meta.name})` };
    const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : typeof d === 'string' ? (args.freeDims.get(d) ?? 1) : 1));
    const n = dims.reduce((p, d) => p * d, 1);
    feeds[meta.name] = new ort.Tensor(meta.type as 'float32', make(n, rng) as Float32Array, dims);
  }
  return { feeds };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

export async function runPerfTest(argv: string[], env: PerfTestEnv): Promise<number> {
  let args: PerfTestArgs | 'help';
  try {
    args = parsePerfTestArgs(argv);
  } catch (error) {
    if (!(error instanceof PerfArgsError)) throw error;
    await env.err(`${error.message}\nSee 'onnxruntime_perf_test --help'.\n`);
    return 255;
  }
  if (args === 'help') {
    await env.out(USAGE);
    return 255;
  }
  const format = env.profile.perfTest.format;
  const modelPath = Vfs.normalize(args.modelPath, env.cwd);
  if (!/\.(onnx|ort)$/.test(modelPath)) {
    await env.err(`${args.modelPath} is not supported\n`);
    return 255;
  }
  const hostModel = env.vfs.hostPath(modelPath);
  if (!hostModel || env.vfs.stat(modelPath)?.type !== 'file') {
    await env.err(`Load model from ${args.modelPath} failed:Load model ${args.modelPath} failed. File doesn't exist\n`);
    return 255;
  }
  if (!env.profile.perfTest.providers.includes(args.provider)) {
    await env.err(`${args.provider.toUpperCase()} is not supported in this build\n`);
    return 255;
  }
  if (args.intraThreads > 0) await env.out(`Setting intra_op_num_threads to ${args.intraThreads}\n`);
  const sessionStart = performance.now();
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: OPT_LEVELS.find(([level]) => level === args.optLevel)?.[1] ?? 'all',
    };
    if (args.intraThreads > 0) options.intraOpNumThreads = args.intraThreads;
    if (args.interThreads > 0) options.interOpNumThreads = args.interThreads;
    session = await ort.InferenceSession.create(hostModel, options);
  } catch (error) {
    await env.err(`Load model from ${args.modelPath} failed:${(error as Error).message}\n`);
    return 255;
  }
  const stop = env.thermal.begin();
  try {
    const sessionS = ((performance.now() - sessionStart) * stretchFactor(env.profile, env.thermal, env.cpuMask)) / 1000;
    const sep = format === '2020' ? ':' : ': ';
    if (args.exitAfterSession) {
      await env.out(`\nSession creation time cost${sep}${cppDouble(sessionS)} s\n`);
      return 0;
    }
    const testDir = posix.join(dirname(modelPath), 'test_data_set_0');
    if (!args.generateInputs) {
      const why = env.vfs.stat(testDir) ? 'the simulator supports only generated inputs (-I)' : 'failed to initialize.';
      if (!env.vfs.stat(testDir)) await env.out(`there is no test data for model ${posix.basename(dirname(modelPath))}\n`);
      await env.out(`Run failed:${why}\n`);
      return 255;
    }
    const made = makeFeeds(session, args);
    if ('error' in made) {
      await env.out(`Run failed:${made.error}\n`);
      return 255;
    }
    const warmStart = performance.now();
    try {
      await session.run(made.feeds);
      await waitUntil(warmStart, (performance.now() - warmStart) * stretchFactor(env.profile, env.thermal, env.cpuMask), env.signal);
    } catch (error) {
      await env.out(`Run failed:${(error as Error).message}\n`);
      return 255;
    }
    const firstMs = Math.floor(performance.now() - warmStart);
    const costs: number[] = [];
    let total = 0;
    const cpuBefore = process.cpuUsage();
    const runStart = performance.now();
    while (args.mode === 'times' ? costs.length < args.repeats : total < args.durationS) {
      if (env.signal.aborted) return 130;
      const t0 = performance.now();
      try {
        await session.run(made.feeds);
      } catch (error) {
        await env.out(`Run failed:${(error as Error).message}\n`);
        return 255;
      }
      await waitUntil(t0, (performance.now() - t0) * stretchFactor(env.profile, env.thermal, env.cpuMask), env.signal);
      const cost = (performance.now() - t0) / 1000;
      costs.push(cost);
      total += cost;
      if (args.verbose) await env.out(`iteration:${costs.length},time_cost:${cppDouble(cost)}\n`);
    }
    const runS = (performance.now() - runStart) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuPct = Math.round(((cpu.user + cpu.system) / 1e6 / runS / cpus().length) * 100);
    const peak = process.resourceUsage().maxRSS * 1024;
    const n = costs.length;
    const avgMs = (total / n) * 1000;
    const lines: string[] = [];
    if (format === '2020') {
      lines.push(`Session creation time cost:${cppDouble(sessionS)} s`, `Total inference time cost:${cppDouble(total)} s`, `Total inference requests:${n}`, `Average inference time cost:${cppDouble(avgMs)} ms`, `Total inference run time:${cppDouble(runS)} s`);
    } else {
      lines.push(
        `Session creation time cost: ${cppDouble(sessionS)} s`,
        `First inference time cost: ${firstMs} ms`,
        `Total inference time cost: ${cppDouble(total)} s`,
        `Total inference requests: ${n}`,
        format === '2025' ? `Average inference time cost total: ${cppToString(avgMs)} ms` : `Average inference time cost: ${cppDouble(avgMs)} ms`,
        `Total inference run time: ${cppDouble(runS)} s`,
        `Number of inferences per second: ${cppDouble(n / runS)} `,
        `Avg CPU usage: ${cpuPct} %`,
        `Peak working set size: ${peak} bytes`,
      );
      if (args.resultFile === null) lines.push(`Avg CPU usage:${cpuPct}`, `Peak working set size:${peak}`, `Runs:${n}`);
    }
    if (args.resultFile !== null) {
      const rows = costs.map((c, i) => `${posix.basename(dirname(modelPath))},${cppDouble(c)},${peak},${cpuPct},${i}\n`).join('');
      try {
        env.vfs.write(Vfs.normalize(args.resultFile, env.cwd), rows, { append: true });
      } catch {
        await env.err(`failed to open result file '${args.resultFile}'. will dump stats to output.\n`);
        args.stats = true;
      }
    }
    if (args.stats && format !== '2020') {
      const sorted = costs.slice().sort((x, y) => x - y);
      const stat = (label: string, v: number) => `${label} Latency: ${cppDouble(v)} s`;
      lines.push(stat('Min', sorted[0]), stat('Max', sorted[n - 1]), stat('P50', percentile(sorted, 0.5)), stat('P90', percentile(sorted, 0.9)), stat('P95', percentile(sorted, 0.95)), stat('P99', percentile(sorted, 0.99)), stat('P999', percentile(sorted, 0.999)));
    }
    await env.out(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    stop();
    await session.release().catch(() => {});
  }
}
