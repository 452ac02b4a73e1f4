/**
 * A coordinator as its own process (`ofa-farm serve`), so that its memory and CPU are its own and
 * not the load generator's: started on a free port, polled until healthy, sampled from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.mjs');
const TICKS_PER_S = 100;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface ProcSample {
  rssMb: number;
  peakRssMb: number;
  /** CPU seconds used so far (user + system). */
  cpuS: number;
}

export class CoordinatorProcess {
  private output = '';
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(opts: { home: string; dbUrl: string | null; adminToken: string; extraArgs?: string[] }): Promise<CoordinatorProcess> {
    const port = await freePort();
    const args = [BIN, 'serve', '--port', String(port), '--home', opts.home, ...(opts.dbUrl ? ['--db', opts.dbUrl] : []), ...(opts.extraArgs ?? [])];
    // OFA_FARM_LOAD_PROFILE=DIR: each coordinator writes a V8 CPU profile there when it stops.
    const profile = process.env.OFA_FARM_LOAD_PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.OFA_FARM_LOAD_PROFILE}`] : [];
    const child = spawn(process.execPath, [...profile, ...args], { env: { ...process.env, OFA_FARM_ADMIN_TOKEN: opts.adminToken }, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = new CoordinatorProcess(child, `http://127.0.0.1:${port}`);
    child.stdout!.on('data', (c) => (proc.output = (proc.output + c).slice(-20_000)));
    child.stderr!.on('data', (c) => (proc.output = (proc.output + c).slice(-20_000)));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ofa-farm serve exited:\n${proc.output}`);
      try {
        if ((await fetch(`${proc.url}/api/health`)).ok) return proc;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`ofa-farm serve did not start:\n${proc.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Memory and CPU of the process (Linux /proc); zeros elsewhere. */
  sample(): ProcSample {
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
      return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuS };
    } catch {
      return { rssMb: 0, peakRssMb: 0, cpuS: 0 };
    }
  }

  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  }
}
