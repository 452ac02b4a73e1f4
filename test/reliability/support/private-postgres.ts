/**
 * A private PostgreSQL server for one test (initdb + pg_ctl in a temporary directory, on a free
 * port), so that a test may stop and restart it: the shared server at 127.0.0.1:5432 belongs to
 * everyone else. initdb refuses to run as root, so as root the server runs as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { freePort } from '../../farm/support/farm-processes';

const run = promisify(execFile);

/** The bin directory of the newest installed PostgreSQL with initdb and pg_ctl, or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | null> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/** Why a private server cannot be started here, or null when it can. */
export async function privatePostgresProblem(): Promise<string | null> {
  if (!postgresBinDir()) return 'no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql';
  if (process.getuid?.() === 0 && !(await userIds('postgres'))) return 'running as root and there is no "postgres" user to run initdb as';
  return null;
}

export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
    private readonly asUser: string | null,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('no PostgreSQL server binaries found');
    const dir = mkdtempSync(join(tmpdir(), 'ofa-farm-pg-'));
    let asUser: string | null = null;
    if (process.getuid?.() === 0) {
      const ids = await userIds('postgres');
      if (!ids) throw new Error('running as root without a "postgres" user');
      chownSync(dir, ids.uid, ids.gid);
      asUser = 'postgres';
    }
    const pg = new PrivatePostgres(bin, dir, await freePort(), asUser);
    await pg.exec('initdb', ['-D', pg.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    await pg.pgStart();
    return pg;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** A database URL on this server (created by `createDatabase`). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<string> {
    const admin = postgres(this.url(), { max: 1, connect_timeout: 10, onnotice: () => {} });
    try {
      await admin.unsafe(`create database "${name}"`);
    } finally {
      await admin.end({ timeout: 2 });
    }
    return this.url(name);
  }

  /** Stops the server at once (as a crash would: no checkpoint), waits `downMs`, starts it again. */
  async restart(downMs: number, mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
    await new Promise((r) => setTimeout(r, downMs));
    await this.pgStart();
  }

  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pgStart(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.exec('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    const path = join(this.bin, tool);
    const [cmd, argv] = this.asUser ? ['runuser', ['-u', this.asUser, '--', path, ...args]] : [path, args];
    try {
      await run(cmd, argv, { timeout: 120_000 });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`${tool} failed: ${e.stderr || e.message}`);
    }
  }
}
