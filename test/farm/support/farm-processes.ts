/**
 * End-to-end plumbing: a real coordinator process (`ofa-farm serve`) and real edge agent
 * processes (`ofa-farm agent edge`, onnxruntime-node), started as a user would, with short
 * liveness timings. Every process started here is killed by its pid in `stopAll()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../bench/load/coordinator-process';
import { BIN } from '../../helpers/cli';

export { freePort };

export const ADMIN = 'e2e-admin-token-0123456789abcdef';

/** Settings that keep a measurement to a fraction of a second on a shared 2-core machine. */
export const QUICK_SETTINGS = { warmupRuns: 1, warmupMinMs: 0, runs: 5, minTimedMs: 0, maxRemeasures: 0, maxCv: 10, threads: 1 };

export interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}


export class FarmProcesses {
  readonly home = mkdtempSync(join(tmpdir(), 'ofa-farm-e2e-'));
  private readonly procs: Proc[] = [];
  server: Proc | null = null;
  url = '';

  constructor(private readonly dbUrl: string | null) {}

  private start(args: string[], env: NodeJS.ProcessEnv): Proc {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: this.home, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const proc = { child, output: () => out, exited };
    this.procs.push(proc);
    return proc;
  }

  /** Starts `ofa-farm serve` on `port` (a free one the first time) and waits until it answers. */
  async startServer(port?: number): Promise<string> {
    const p = port ?? (await freePort());
    const args = ['serve', '--port', String(p), '--home', join(this.home, 'farm'), '--heartbeat-ms', '300', '--offline-after-ms', '3000', '--lease-ms', '8000'];
    if (this.dbUrl) args.push('--db', this.dbUrl);
    this.server = this.start(args, { OFA_FARM_ADMIN_TOKEN: ADMIN });
    this.url = `http://127.0.0.1:${p}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`${this.url}/api/health`)).ok) return this.url;
      } catch {
        // not up yet
      }
      const code = await Promise.race([this.server.exited, new Promise((r) => setTimeout(r, 200, 'running'))]);
      if (code !== 'running') throw new Error(`ofa-farm serve exited (${code}):\n${this.server.output()}`);
      if (Date.now() > deadline) throw new Error(`ofa-farm serve did not answer within 60 s:\n${this.server.output()}`);
    }
  }

  async stopServer(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.server) return;
    this.server.child.kill(signal);
    await this.server.exited;
    this.server = null;
  }

  /** Starts `ofa-farm agent edge` for a device token, with its own cache directory. */
  startAgent(token: string, name = 'agent'): Proc {
    return this.start(['agent', 'edge', '--server', this.url, '--cache', join(this.home, `cache-${name}`), '--threads', '1', '--grace-ms', '1000'], { OFA_FARM_DEVICE_TOKEN: token });
  }

  async api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async addDevice(name: string): Promise<string> {
    const res = await this.api('POST', '/api/devices', { name, kind: 'edge' });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    return res.body.token;
  }

  /** Polls a sweep until `predicate` holds. */
  async waitSweep(id: number, predicate: (sweep: any) => boolean, what: string, timeoutMs = 120_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let sweep: any = null;
      try {
        sweep = (await this.api('GET', `/api/sweeps/${id}`)).body.sweep;
      } catch {
        // the coordinator may be restarting
      }
      if (sweep && predicate(sweep)) return sweep;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(sweep?.progress)}\n--- processes:\n${this.procs.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Kills every process still running (by pid) and removes the temporary home. */
  async stopAll(): Promise<void> {
    for (const p of this.procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await Promise.all(this.procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))])));
    rmSync(this.home, { recursive: true, force: true });
  }
}
