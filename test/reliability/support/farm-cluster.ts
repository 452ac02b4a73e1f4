/**
 * Real farm processes for fault tests: any number of coordinators (`ofa-farm serve`) on one
 * database, edge agents (`ofa-farm agent edge`, onnxruntime-node) pointed at any URL (a proxy
 * included), and the checks every fault test ends with. Output of every process is kept (to grep
 * for secrets); every process started here is killed by its pid in `stopAll()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BIN } from '../../helpers/cli';
import { freePort, QUICK_SETTINGS } from '../../farm/support/farm-processes';

export { QUICK_SETTINGS };
export const ADMIN = 'reliability-admin-token-0123456789abcdef';
/** Liveness timings of every coordinator started here. */
export const TIMINGS = { heartbeatMs: 300, offlineAfterMs: 3000, leaseMs: 8000 };

export interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export interface Coordinator extends Proc {
  port: number;
  url: string;
  home: string;
}

export class FarmCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'ofa-farm-rel-'));
  readonly procs: Proc[] = [];

  constructor(private readonly dbUrl: string | null) {}

  private spawn(name: string, args: string[], env: NodeJS.ProcessEnv): Proc {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const proc = { name, child, output: () => out, exited };
    this.procs.push(proc);
    return proc;
  }

  /** Starts `ofa-farm serve` (home `<dir>/<home>`, shared PGlite when two use one) and waits for its health. */
  async startServer(name: string, opts: { port?: number; home?: string } = {}): Promise<Coordinator> {
    const port = opts.port ?? (await freePort());
    const home = join(this.dir, opts.home ?? `home-${name}`);
    const args = ['serve', '--port', String(port), '--home', home, '--heartbeat-ms', String(TIMINGS.heartbeatMs), '--offline-after-ms', String(TIMINGS.offlineAfterMs), '--lease-ms', String(TIMINGS.leaseMs)];
    if (this.dbUrl) args.push('--db', this.dbUrl);
    const proc = this.spawn(name, args, { OFA_FARM_ADMIN_TOKEN: ADMIN });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/api/health`)).ok) return { ...proc, port, url, home };
      } catch {
        // not up yet
      }
      const code = await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 200, 'running'))]);
      if (code !== 'running') throw new Error(`ofa-farm serve (${name}) exited (${code}):\n${proc.output()}`);
      if (Date.now() > deadline) throw new Error(`ofa-farm serve (${name}) did not answer within 90 s:\n${proc.output()}`);
    }
  }

  async kill(proc: Proc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    proc.child.kill(signal);
    await proc.exited;
  }

  /** Starts an edge agent for a device token against `server` (a coordinator or a proxy URL). */
  startAgent(name: string, token: string, server: string): Proc {
    return this.spawn(name, ['agent', 'edge', '--server', server, '--cache', join(this.dir, `cache-${name}`), '--threads', '1', '--grace-ms', '1000'], { OFA_FARM_DEVICE_TOKEN: token });
  }

  async api<T = any>(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async addDevice(url: string, name: string, host: string | null = null): Promise<string> {
    const res = await this.api(url, 'POST', '/api/devices', { name, kind: 'edge', host });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    return res.body.token;
  }

  async startSweep(url: string, device: string, count: number, settings: Record<string, unknown>, seed = 1): Promise<any> {
    const res = await this.api(url, 'POST', '/api/sweeps', { device, space: 'ofa-mbv3-mini', count, seed, anchorEvery: 0, settings: { ...QUICK_SETTINGS, maxRuns: 1_000_000, ...settings } });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    return res.body.sweep;
  }

  /** Polls a sweep on whichever of `urls` answers until `predicate` holds. */
  async waitSweep(urls: string[], id: number, predicate: (sweep: any) => boolean, what: string, timeoutMs = 150_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let sweep: any = null;
      for (const url of urls) {
        try {
          sweep = (await this.api(url, 'GET', `/api/sweeps/${id}`)).body.sweep;
          break;
        } catch {
          // that coordinator is down or restarting
        }
      }
      if (sweep && predicate(sweep)) return sweep;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(sweep?.progress)}\n${this.tails()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Waits until a process printed text matching `pattern` (at least `times` times). */
  async waitOutput(proc: Proc, pattern: RegExp, what: string, times = 1, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
    while ((proc.output().match(global) ?? []).length < times) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.tails()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Every job of the sweep ended measured exactly once (one counted ok/unstable row) or failed
   * with its reason; returns every stored row (late ones included) for further checks.
   */
  async expectSettledOnce(url: string, sweepId: number): Promise<any[]> {
    const sweep = (await this.api(url, 'GET', `/api/sweeps/${sweepId}`)).body.sweep;
    expect(sweep.state).toBe('done');
    const rows: any[] = (await this.api(url, 'GET', `/api/measurements?sweep=${sweepId}&uncounted=1`)).body.measurements;
    const counted = rows.filter((m) => m.counted && m.status !== 'failed');
    expect(new Set(counted.map((m) => m.jobId)).size, 'one counted measurement per job').toBe(counted.length);
    expect(counted.length).toBe(sweep.progress.done);
    expect(sweep.failures).toHaveLength(sweep.progress.failed);
    for (const f of sweep.failures) expect(f.error, `job ${f.jobId} failed without a reason`).toBeTruthy();
    expect(sweep.progress.done + sweep.progress.failed).toBe(sweep.progress.total);
    expect(new Set(rows.map((m) => `${m.jobId}/${m.attempt}`)).size, 'one row per job and attempt').toBe(rows.length);
    return rows;
  }

  /** Everything every process printed. */
  allOutput(): string {
    return this.procs.map((p) => p.output()).join('\n');
  }

  /** Fails if any of the secrets appears in any process output. */
  expectNoSecretsInLogs(secrets: string[]): void {
    const all = this.allOutput();
    for (const secret of secrets) expect(all.includes(secret), `a secret (${secret.slice(0, 5)}...) appears in a log`).toBe(false);
  }

  tails(): string {
    return this.procs.map((p) => `--- ${p.name}:\n${p.output().slice(-2500)}`).join('\n');
  }

  async stopAll(): Promise<void> {
    for (const p of this.procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await Promise.all(this.procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))])));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
