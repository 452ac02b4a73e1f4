/**
 * A real coordinator on a test database (from describeEachDb), on a free port, with short
 * timings, plus small HTTP helpers. Every test gets a fresh coordinator on an emptied database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinator, type Coordinator, type CoordinatorOptionsInput } from '../../../server/main';
import type { TestDb } from '../../helpers/databases';
import { ProtocolAgent, type ProtocolAgentOptions } from './protocol-agent';

export const ADMIN = 'test-admin-token-0123456789';

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

export class TestFarm {
  readonly agents: ProtocolAgent[] = [];

  private constructor(
    readonly coordinator: Coordinator,
    private readonly home: string,
    readonly logs: string[],
  ) {}

  /** A coordinator on an emptied database (`keepData`: a second coordinator on the same data). */
  static async start(testDb: TestDb, overrides: CoordinatorOptionsInput = {}, keepData = false): Promise<TestFarm> {
    if (!keepData) await testDb.reset();
    const home = mkdtempSync(join(tmpdir(), 'ofa-farm-test-'));
    const logs: string[] = [];
    const coordinator = await startCoordinator(
      { port: 0, home, adminToken: ADMIN, heartbeatMs: 200, leaseMs: 4000, offlineAfterMs: 1500, helloTimeoutMs: 1000, reaperIntervalMs: 100, ...overrides },
      { db: keepData ? await testDb.openAnother() : testDb.handle, log: (line) => logs.push(line) },
    );
    return new TestFarm(coordinator, home, logs);
  }

  get url(): string {
    return this.coordinator.url;
  }

  async api<T = any>(method: string, path: string, body?: unknown, token: string | null = ADMIN): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, body: parsed as T };
  }

  async addDevice(name: string, kind: 'edge' | 'browser' | 'android' = 'edge', host: string | null = null): Promise<string> {
    const res = await this.api('POST', '/api/devices', { name, kind, host });
    if (res.status !== 201) throw new Error(`device add failed: ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  }

  async startSweep(body: Record<string, unknown>): Promise<any> {
    const res = await this.api('POST', '/api/sweeps', { space: 'ofa-mbv3-mini', strategy: 'random', seed: 1, anchorEvery: 0, ...body });
    if (res.status !== 201) throw new Error(`sweep start failed: ${JSON.stringify(res.body)}`);
    return res.body.sweep;
  }

  async sweep(id: number): Promise<any> {
    return (await this.api('GET', `/api/sweeps/${id}`)).body.sweep;
  }

  /** Polls until the sweep reaches one of `states`. */
  async waitSweep(id: number, states: string[] = ['done'], timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.sweep(id);
      if (states.includes(s.state)) return s;
      if (Date.now() > deadline) throw new Error(`sweep ${id} still ${s.state} (${JSON.stringify(s.progress)}) after ${timeoutMs} ms; log:\n${this.logs.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async measurements(query: string): Promise<any[]> {
    const res = await this.api('GET', `/api/measurements?${query}`);
    if (res.status !== 200) throw new Error(`measurements failed: ${JSON.stringify(res.body)}`);
    return res.body.measurements;
  }

  agent(opts: Omit<ProtocolAgentOptions, 'url'>): ProtocolAgent {
    const agent = new ProtocolAgent({ url: this.url, ...opts });
    this.agents.push(agent);
    return agent;
  }

  async stop(): Promise<void> {
    for (const a of this.agents) a.kill();
    await this.coordinator.stop();
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
