/**
 * Load: N simulated agents (protocol-level WebSockets in this process, answering every job at
 * once) on one or two coordinator processes (`ofa-farm serve`, sharing one database), on PGlite
 * and on PostgreSQL. Every device gets a sweep scheduled to start at one instant once all agents
 * are connected and idle; the figures cover that burst:
 * - results ingested per second (results acknowledged / time from the first job to the last ack);
 * - dispatch to stored: from a job frame reaching its agent to the ack of its stored result
 *   (the agent's own time is ~0), p50 and p99;
 * - each coordinator's resident memory (peak) and CPU seconds used during the burst.
 * OFA_FARM_LOAD_SCALE (default 1) scales the agent counts; OFA_FARM_LOAD_ONLY picks scenarios by a
 * prefix of `db/coordinators/agents` (e.g. `postgres`, `postgres/1/1000`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinatorProcess } from './load/coordinator-process';
import { SimAgent } from './load/sim-agent';
import { BENCH_PG_URL, withScratchDatabase } from './support/scratch-postgres';
import type { Benchmark, BenchContext } from './run';

const ADMIN = 'load-bench-admin-token-0123456789';
const SCALE = Number(process.env.OFA_FARM_LOAD_SCALE ?? 1);
const ONLY = process.env.OFA_FARM_LOAD_ONLY;

interface Scenario {
  db: 'pglite' | 'postgres';
  coordinators: 1 | 2;
  agents: number;
  jobsPerAgent: number;
}

const SCENARIOS: Scenario[] = [
  { db: 'pglite', coordinators: 1, agents: 100, jobsPerAgent: 20 },
  { db: 'pglite', coordinators: 1, agents: 1000, jobsPerAgent: 4 },
  { db: 'postgres', coordinators: 1, agents: 100, jobsPerAgent: 20 },
  { db: 'postgres', coordinators: 1, agents: 1000, jobsPerAgent: 4 },
  { db: 'postgres', coordinators: 2, agents: 1000, jobsPerAgent: 4 },
];

function pct(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Runs `fn` over `items`, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

async function withDatabase<T>(kind: Scenario['db'], fn: (dbUrl: string | null) => Promise<T>): Promise<T | null> {
  return kind === 'pglite' ? fn(null) : withScratchDatabase('ofa_load', fn);
}

async function runScenario(ctx: BenchContext, s: Scenario, dbUrl: string | null): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'ofa-farm-load-'));
  const coordinators: CoordinatorProcess[] = [];
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < s.coordinators; i++) coordinators.push(await CoordinatorProcess.start({ home: join(home, `c${i}`), dbUrl, adminToken: ADMIN }));
    const main = coordinators[0].url;
    const names = Array.from({ length: s.agents }, (_, i) => `load-${i}`);
    const tokens: string[] = [];
    await pool(names, 16, async (name, i) => void (tokens[i] = (await api(main, 'POST', '/api/devices', { name, kind: 'edge' })).token));
    // warm-up: the sweeps' models are built and stored once (every sweep samples the same subnets)
    await api(main, 'POST', '/api/sweeps', { device: names[0], space: 'ofa-mbv3-mini', count: 2 * s.jobsPerAgent, seed: 1, anchorEvery: 0 });
    const warm = new SimAgent(main, tokens[0]);
    await warm.welcomed;
    for (let i = 0; i < 600 && warm.latencies.length < 2 * s.jobsPerAgent; i++) await new Promise((r) => setTimeout(r, 100));
    warm.close();
    await new Promise((r) => setTimeout(r, 500));

    const startAt = Date.now() + 4000 + s.agents * 40;
    const created = performance.now();
    // Twice the jobs measured: no sweep finishes during the burst (a finished sweep refits the
    // device's twins, seconds of CPU that belong to the twins, not to ingestion).
    await pool(names, 16, async (name) => void (await api(coordinators[names.indexOf(name) % s.coordinators].url, 'POST', '/api/sweeps', { device: name, space: 'ofa-mbv3-mini', count: 2 * s.jobsPerAgent, seed: 1, anchorEvery: 0, startAt })));
    const creation = performance.now() - created;
    for (let i = 0; i < s.agents; i += 100) {
      const batch = tokens.slice(i, i + 100).map((t, j) => new SimAgent(coordinators[(i + j) % s.coordinators].url, t));
      agents.push(...batch);
      await Promise.all(batch.map((a) => a.welcomed));
    }
    const late = Date.now() > startAt;
    const before = coordinators.map((c) => c.sample());
    const load0 = loadavg()[0];
    const total = s.agents * s.jobsPerAgent;
    const deadline = startAt + 600_000;
    let peak = before.map((b) => b.peakRssMb);
    while (agents.reduce((n, a) => n + a.latencies.length, 0) < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      peak = coordinators.map((c, i) => Math.max(peak[i], c.sample().peakRssMb));
    }
    const after = coordinators.map((c) => c.sample());
    // the first `total` acks, whoever got them
    const all = agents.flatMap((a) => a.ackTimes.map((t, k) => ({ ack: t, latency: a.latencies[k] }))).sort((x, y) => x.ack - y.ack).slice(0, total);
    const latencies = all.map((x) => x.latency);
    const firstJob = Math.min(...all.map((x) => x.ack - x.latency));
    const windowS = (all[all.length - 1].ack - firstJob) / 1000;
    const mem = coordinators.map((c, i) => `${after[i].rssMb.toFixed(0)} MB (peak ${peak[i].toFixed(0)})`).join(' + ');
    const cpu = coordinators.map((c, i) => `${(after[i].cpuS - before[i].cpuS).toFixed(1)}`).join(' + ');
    ctx.print(
      `${s.db.padEnd(8)} ${s.coordinators} coord ${String(s.agents).padStart(4)} agents: ${(latencies.length / windowS).toFixed(0).padStart(5)} results/s (${latencies.length}/${total} in ${windowS.toFixed(1)} s); dispatch->stored p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms; coordinator RSS ${mem}; CPU ${cpu} s; load ${load0.toFixed(1)}->${loadavg()[0].toFixed(1)}${late ? ` (sweep creation took ${(creation / 1000).toFixed(1)} s: dispatch began before every agent was connected)` : ''}${agents.some((a) => a.errors) ? `; ${agents.reduce((n, a) => n + a.errors, 0)} error frames` : ''}`,
    );
  } finally {
    agents.forEach((a) => a.close());
    for (const c of coordinators) await c.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

const bench: Benchmark = {
  name: 'load: simulated agents answering at once, results ingested per second and dispatch-to-stored latency',
  async run(ctx) {
    ctx.print(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (shared: other work inflates every figure); scale ${SCALE}`);
    for (const s of SCENARIOS) {
      if (ONLY && !`${s.db}/${s.coordinators}/${s.agents}`.startsWith(ONLY)) continue;
      const scaled = { ...s, agents: Math.max(1, Math.round(s.agents * SCALE)) };
      const done = await withDatabase(s.db, (url) => runScenario(ctx, scaled, url));
      if (done === null) ctx.print(`postgres unreachable at ${BENCH_PG_URL}: ${s.agents} agents skipped`);
    }
  },
};

export default bench;
