/**
 * Farm-reported latency vs a direct onnxruntime-node loop, side by side in one run. A real
 * coordinator (PGlite in a temp home) and a real `ofa-farm agent edge` process measure a list
 * of ofa-mbv3-w1.0 subnets; then the very same ONNX bytes (checked against the agent's cache by
 * sha256) are timed by a plain loop (edge-direct-loop.ts, its own process like the agent), with
 * the same threads, input and warm-up/run rules. A ratio near 1 means the farm adds no measurable overhead to what it reports.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SubnetConfig } from '../core/config';
import type { LatencyStats, MeasurementSettings } from '../core/measurement';
import { createRng } from '../core/rng';
import { sampleConfig } from '../core/sample';
import { SPACES } from '../core/space';
import { subnetId } from '../core/subnet-id';
import { exportSubnet } from '../models/export';
import { randomSupernetWeights } from '../models/random-weights';
import { startCoordinator } from '../server/main';
import type { Benchmark } from './run';

const SPACE = SPACES['ofa-mbv3-w1.0'];
const COUNT = 5;
const THREADS = 1;
const SETTINGS: MeasurementSettings = { warmupRuns: 5, warmupMinMs: 500, runs: 30, minTimedMs: 1000, maxCv: 0.1, maxRemeasures: 0, maxRuns: 10_000, threads: THREADS };
const BIN = join(import.meta.dirname, '..', 'cli', 'bin.mjs');

interface FarmRow {
  subnetId: string;
  status: string;
  medianMs: number | null;
  minMs: number | null;
  cv: number | null;
  startedAt: string | number;
  finishedAt: string | number;
}

/** Times the models in a fresh process (edge-direct-loop.ts), as lean as the agent's. */
function directLoop(models: { path: string; shape: number[] }[], dir: string): Promise<LatencyStats[]> {
  const jobsPath = join(dir, 'direct-jobs.json');
  writeFileSync(jobsPath, JSON.stringify({ threads: THREADS, settings: SETTINGS, models }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'edge-direct-loop.ts'), jobsPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`direct loop exited with ${code}: ${err.slice(-2000)}`));
      resolve(out.trim().split('\n').map((line) => JSON.parse(line) as LatencyStats));
    });
  });
}

async function farmMeasure(configs: SubnetConfig[], home: string, print: (line: string) => void): Promise<{ rows: FarmRow[]; wallMs: number; cacheDir: string }> {
  const adminToken = `bench-admin-${Date.now()}`;
  const coordinatorLog: string[] = [];
  const coordinator = await startCoordinator({ port: 0, home, adminToken }, { log: (line) => coordinatorLog.push(line) });
  const request = (method: string, path: string, body?: unknown) =>
    fetch(`${coordinator.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  const api = async (method: string, path: string, body?: unknown) => {
    // A GET may meet a keep-alive socket the busy server just closed: retry it (twice at most).
    let response: Response | null = null;
    for (let attempt = 1; !response; attempt++) {
      try {
        response = await request(method, path, body);
      } catch (error) {
        if (method !== 'GET' || attempt >= 3) throw error;
      }
    }
    const json: unknown = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const cacheDir = join(home, 'agent-cache');
  let agent: ReturnType<typeof spawn> | null = null;
  try {
    const added = (await api('POST', '/devices', { name: 'bench-edge', kind: 'edge' })) as { token: string };
    let agentLog = '';
    agent = spawn(process.execPath, [BIN, 'agent', 'edge', '--server', coordinator.url, '--cache', cacheDir, '--threads', String(THREADS), '--log-level', 'warn'], {
      env: { ...process.env, OFA_FARM_DEVICE_TOKEN: added.token },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    agent.stderr!.on('data', (chunk) => (agentLog += chunk));
    const started = Date.now();
    const created = (await api('POST', '/sweeps', { device: 'bench-edge', space: SPACE.name, strategy: 'list', configs, settings: SETTINGS, anchorEvery: 0, weightsSeed: 0 })) as { sweep: { id: number } };
    const id = created.sweep.id;
    for (let i = 0; ; i++) {
      const { sweep } = (await api('GET', `/sweeps/${id}`)) as { sweep: { progress: { done: number; failed: number; total: number } } };
      if (sweep.progress.done + sweep.progress.failed >= sweep.progress.total) break;
      if (Date.now() - started > 600_000) throw new Error(`the sweep did not finish in 10 minutes: ${JSON.stringify(sweep.progress)}; agent log:\n${agentLog}`);
      if (i % 20 === 0) print(`farm: ${sweep.progress.done}/${sweep.progress.total} measured`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const wallMs = Date.now() - started;
    const { measurements } = (await api('GET', `/measurements?sweep=${id}`)) as { measurements: FarmRow[] };
    return { rows: measurements, wallMs, cacheDir };
  } catch (error) {
    print(`coordinator log:\n    ${coordinatorLog.slice(-20).join('\n    ')}`);
    throw error;
  } finally {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent!.once('close', resolve));
      agent.kill('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    await coordinator.stop();
  }
}

const fmt = (ms: number | null) => (ms === null ? '-' : ms.toFixed(3));

export default {
  name: 'edge latency: farm-reported median vs direct onnxruntime-node loop',
  async run(ctx) {
    const rng = createRng('edge-latency-bench');
    const configs = Array.from({ length: COUNT }, () => sampleConfig(SPACE, rng));
    const home = mkdtempSync(join(tmpdir(), 'ofa-farm-bench-'));
    try {
      ctx.print(`${COUNT} ${SPACE.name} subnets, ${THREADS} thread(s), warm-up >= ${SETTINGS.warmupRuns} runs and ${SETTINGS.warmupMinMs} ms, >= ${SETTINGS.runs} timed runs and ${SETTINGS.minTimedMs} ms`);
      const farm = await farmMeasure(configs, home, ctx.print);
      const weights = randomSupernetWeights(SPACE, 0);
      const models = configs.map((config) => {
        const exported = exportSubnet({ space: SPACE, config, weights });
        const path = join(farm.cacheDir, 'models', `${exported.sha256}.onnx`);
        if (!existsSync(path)) throw new Error(`the agent never measured model ${exported.sha256} (subnet ${subnetId(SPACE, config)}): not the same bytes`);
        return { path, shape: exported.inputShape };
      });
      const directStats = await directLoop(models, home);
      const lines: string[] = [];
      const ratios: number[] = [];
      const minRatios: number[] = [];
      let deviceMs = 0;
      configs.forEach((config, i) => {
        const id = subnetId(SPACE, config);
        const row = farm.rows.find((r) => r.subnetId === id);
        const direct = directStats[i];
        if (row) deviceMs += new Date(row.finishedAt).getTime() - new Date(row.startedAt).getTime();
        const ratio = row?.medianMs ? row.medianMs / direct.medianMs : null;
        const minRatio = row?.minMs ? row.minMs / direct.minMs : null;
        if (ratio !== null) ratios.push(ratio);
        if (minRatio !== null) minRatios.push(minRatio);
        lines.push(
          `${id}  r${String(config.r).padEnd(3)}  ${fmt(row?.medianMs ?? null).padStart(8)}  ${fmt(direct.medianMs).padStart(9)}  ${(ratio?.toFixed(3) ?? '-').padStart(6)}   ${fmt(row?.minMs ?? null).padStart(8)}  ${fmt(direct.minMs).padStart(9)}  ${(minRatio?.toFixed(3) ?? '-').padStart(6)}   ${row?.cv?.toFixed(3) ?? '-'} / ${direct.cv.toFixed(3)}${row?.status === 'ok' ? '' : ` (${row?.status ?? 'missing'})`}`,
        );
      });
      ctx.print('subnet            r     farm med  direct med   ratio   farm min  direct min   ratio   cv farm / direct');
      lines.forEach((line) => ctx.print(line));
      const geomean = (xs: number[]) => Math.exp(xs.reduce((s, r) => s + Math.log(r), 0) / Math.max(1, xs.length));
      ctx.print(`farm/direct, geometric mean over ${ratios.length} subnets: median latency ${geomean(ratios).toFixed(3)}, min latency ${geomean(minRatios).toFixed(3)}`);
      ctx.print(`farm wall time per job ${(farm.wallMs / COUNT / 1000).toFixed(2)} s, of which measuring on the agent ${(deviceMs / COUNT / 1000).toFixed(2)} s (the rest: model build, download, dispatch)`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
