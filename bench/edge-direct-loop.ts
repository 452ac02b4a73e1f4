/**
 * The direct side of edge-latency.bench.ts, run in its own process so that it starts as lean as
 * the agent does: a plain onnxruntime-node timing loop written independently of the farm's.
 * Usage: node --import tsx bench/edge-direct-loop.ts JOBS.json -> one JSON line of stats per model.
 * JOBS.json: {"threads": 1, "settings": MeasurementSettings, "models": [{"path", "shape"}]}
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { seededInput } from '../agents/runtime/model-input';
import { summarize, type MeasurementSettings } from '../core/measurement';

interface Jobs {
  threads: number;
  settings: MeasurementSettings;
  models: { path: string; shape: number[] }[];
}

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Jobs;
const s = jobs.settings;
for (const model of jobs.models) {
  const session = await ort.InferenceSession.create(model.path, { executionProviders: ['cpu'], intraOpNumThreads: jobs.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const feeds = { input: new ort.Tensor('float32', seededInput(model.shape), model.shape) };
  const warmStart = performance.now();
  for (let n = 0; n < s.maxRuns && (n < s.warmupRuns || performance.now() - warmStart < s.warmupMinMs); n++) await session.run(feeds);
  const samples: number[] = [];
  let total = 0;
  while (samples.length < s.maxRuns && (samples.length < s.runs || total < s.minTimedMs)) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    samples.push(ms);
    total += ms;
  }
  await session.release();
  process.stdout.write(`${JSON.stringify(summarize(samples))}\n`);
}
