/**
 * The coordinator's own time per job, device time excluded: protocol-level agents (real
 * WebSocket clients in this process) answer every job at once with a canned measurement, so the
 * wall time of a sweep is the coordinator's work (lease, model build and storage on first use,
 * model download, job frame, result ingestion, ack, next dispatch) plus localhost round trips.
 * Side by side on PGlite (embedded) and PostgreSQL, for new subnets (models exported and stored
 * on first dispatch) and for a re-measure of the same subnets (models stored, agents cached).
 */
import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import WebSocket from 'ws';
import { encodeFrame, type FromAgentInput, type JobFrame, type ToAgent } from '../core/protocol';
import type { SpaceName } from '../core/space';
import { openDb, type DbHandle } from '../db/client';
import { startCoordinator, type Coordinator } from '../server/main';
import type { Benchmark, BenchContext } from './run';
import { cannedMeasurement } from './support/canned-measurement';
import { BENCH_PG_URL, withScratchDatabase } from './support/scratch-postgres';

const ADMIN = 'bench-admin-token-0123456789';

/** An agent that downloads each model once (like the real cache) and answers every job at once. */
class InstantAgent {
  private readonly ws: WebSocket;
  private readonly cache = new Set<string>();
  /** Result sent -> ack received (ingestion). */
  readonly resultToAck: number[] = [];
  /** Job received -> next job received (the whole cycle, the agent's own part being ~0). */
  readonly cycle: number[] = [];
  private lastJob = 0;
  private sent = new Map<string, number>();
  readonly ready: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/agent/ws`);
    this.ready = new Promise((resolve, reject) => {
      this.ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as ToAgent;
        if (frame.type === 'welcome') {
          this.send({ type: 'heartbeat', busyJobId: null });
          resolve();
        } else if (frame.type === 'job') void this.onJob(frame);
        else if (frame.type === 'ack') {
          const t0 = this.sent.get(`${frame.jobId}/${frame.attempt}`);
          if (t0 !== undefined) this.resultToAck.push(performance.now() - t0);
        } else if (frame.type === 'error') reject(new Error(`${frame.code}: ${frame.message}`));
      });
      this.ws.once('error', reject);
    });
    this.ws.once('open', () =>
      this.send({ type: 'hello', token, kind: 'edge', agentVersion: 'bench', device: { runtime: 'bench', runtimeVersion: '0' }, host: `bench-${token.slice(-8)}` }),
    );
  }

  private send(frame: Parameters<typeof encodeFrame<FromAgentInput>>[0]): void {
    this.ws.send(encodeFrame<FromAgentInput>(frame));
  }

  private async onJob(job: JobFrame): Promise<void> {
    const received = performance.now();
    if (this.lastJob > 0) this.cycle.push(received - this.lastJob);
    this.lastJob = received;
    if (!this.cache.has(job.model.sha256)) {
      const res = await fetch(`${this.url}${job.model.url}`, { headers: { authorization: `Bearer ${this.token}` } });
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (createHash('sha256').update(bytes).digest('hex') !== job.model.sha256) throw new Error('model hash mismatch');
      this.cache.add(job.model.sha256);
    }
    this.sent.set(`${job.jobId}/${job.attempt}`, performance.now());
    this.send({ type: 'result', jobId: job.jobId, attempt: job.attempt, measurement: cannedMeasurement('bench') });
  }

  reset(): void {
    this.resultToAck.length = 0;
    this.cycle.length = 0;
    this.lastJob = 0;
  }

  close(): void {
    this.ws.close(1000);
  }
}

function pct(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

async function api(c: Coordinator, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${c.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function waitDone(c: Coordinator, id: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { sweep } = await api(c, 'GET', `/api/sweeps/${id}`);
    if (sweep.state === 'done') return;
    if (Date.now() > deadline) throw new Error(`sweep ${id} not done after ${timeoutMs} ms: ${JSON.stringify(sweep.progress)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Scenario {
  space: SpaceName;
  count: number;
  agents: number;
}

/** Runs the scenario twice (new subnets, then the same subnets again); prints ms per job. */
async function runScenario(ctx: BenchContext, label: string, handle: DbHandle, s: Scenario): Promise<void> {
  const coordinator = await startCoordinator({ port: 0, home: `/tmp/ofa-farm-bench-${process.pid}`, adminToken: ADMIN, heartbeatMs: 1000, reaperIntervalMs: 500 }, { db: handle });
  try {
    const agents: InstantAgent[] = [];
    for (let i = 0; i < s.agents; i++) {
      const { token } = await api(coordinator, 'POST', '/api/devices', { name: `bench-${i}`, kind: 'edge' });
      agents.push(new InstantAgent(coordinator.url, token));
    }
    await Promise.all(agents.map((a) => a.ready));
    for (const phase of ['new subnets', 're-measure'] as const) {
      for (const a of agents) a.reset();
      const started = performance.now();
      const ids: number[] = [];
      for (let i = 0; i < s.agents; i++) {
        const { sweep } = await api(coordinator, 'POST', '/api/sweeps', { device: `bench-${i}`, space: s.space, count: s.count, seed: 1, anchorEvery: 0 });
        ids.push(sweep.id);
      }
      for (const id of ids) await waitDone(coordinator, id, 600_000);
      const wall = performance.now() - started;
      const jobs = s.count * s.agents;
      const acks = agents.flatMap((a) => a.resultToAck);
      const cycles = agents.flatMap((a) => a.cycle);
      ctx.print(
        `${label.padEnd(8)} ${s.space.padEnd(13)} ${String(s.agents).padStart(2)} agent(s) ${phase.padEnd(11)}: ${(wall / s.count).toFixed(1).padStart(7)} ms/job per agent (cycle p50 ${pct(cycles, 0.5).toFixed(1)} p99 ${pct(cycles, 0.99).toFixed(1)}), ${(jobs / (wall / 1000)).toFixed(0).padStart(4)} jobs/s; result->ack p50 ${pct(acks, 0.5).toFixed(1)} p99 ${pct(acks, 0.99).toFixed(1)} ms (n=${jobs})`,
      );
    }
    agents.forEach((a) => a.close());
  } finally {
    await coordinator.stop();
  }
}

async function withPostgres<T>(fn: (handle: DbHandle) => Promise<T>): Promise<T | null> {
  return withScratchDatabase('ofa_bench', async (url) => {
    const handle = await openDb({ kind: 'postgres', url });
    try {
      return await fn(handle);
    } finally {
      await handle.close();
    }
  });
}

const SCENARIOS: Scenario[] = [
  { space: 'ofa-mbv3-mini', count: 60, agents: 1 },
  { space: 'ofa-mbv3-mini', count: 30, agents: 4 },
  { space: 'ofa-mbv3-w1.0', count: 6, agents: 1 },
];

const bench: Benchmark = {
  name: 'coordinator time per job (device time excluded: agents answer at once)',
  async run(ctx) {
    ctx.print(`machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} (other work on the box inflates every figure)`);
    for (const s of SCENARIOS) {
      const pglite = await openDb({ kind: 'memory' });
      try {
        await runScenario(ctx, 'pglite', pglite, s);
      } finally {
        await pglite.close();
      }
      const done = await withPostgres((handle) => runScenario(ctx, 'postgres', handle, s));
      if (done === null) ctx.print(`postgres unreachable at ${BENCH_PG_URL}: skipped`);
    }
    ctx.print('"new subnets": models exported (seeded random weights), stored and downloaded once each; "re-measure": the same subnets again');
  },
};

export default bench;
