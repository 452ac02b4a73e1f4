/**
 * Runs parsed shell programs against the simulated device. Output goes through async writers, so
 * a long-running command (the benchmark tool) streams its lines to adb as it prints them, and the
 * AbortSignal of the adb stream stops everything when the client goes away.
 */
import { Vfs, VfsError } from '../vfs';
import { ShellSyntaxError, parseShell, type Node, type Word } from './parse';

export type Writer = (data: string | Buffer) => Promise<void>;

export interface ShellIo {
  out: Writer;
  err: Writer;
  stdin: Buffer | null;
}

export interface ShellState {
  cwd: string;
  vars: Map<string, string>;
  lastStatus: number;
  /** CPU affinity set by `taskset` for the command it runs; null = all CPUs. */
  cpuMask: bigint | null;
}

export interface CommandContext {
  args: string[];
  io: ShellIo;
  state: ShellState;
  signal: AbortSignal;
  /** Runs another command line (already split), e.g. the command `taskset` wraps. */
  exec(args: string[], io: ShellIo): Promise<number>;
}

export type Builtin = (ctx: CommandContext) => Promise<number> | number;

/** The device's process table, so `kill PID` can stop a running shell (and what it runs). */
export interface ProcessTable {
  spawn(controller: AbortController): number;
  exit(pid: number): void;
  /** Sends a signal (its number); false when no such process. */
  kill(pid: number, signal: number): boolean;
}

export interface ShellHost {
  vfs: Vfs;
  processes: ProcessTable;
  builtins: ReadonlyMap<string, Builtin>;
  /** Runs a file named by path (`/data/local/tmp/x`), or returns null when it is not executable here. */
  execFile(path: string, ctx: CommandContext): Promise<number> | null;
}

class ExitSignal {
  constructor(readonly code: number) {}
}

const SH = '/system/bin/sh';
const MAX_LOOP_ITERATIONS = 100_000;
const discard: Writer = async () => {};

/** 128 + the signal number when a `kill` stopped us; SIGHUP when adb closed the stream. */
function killedStatus(signal: AbortSignal): number {
  return 128 + (typeof signal.reason === 'number' ? signal.reason : 1);
}

export function shellMessage(text: string): string {
  return `${SH}: ${text}\n`;
}

export class Shell {
  readonly state: ShellState = { cwd: '/', vars: new Map([['PATH', '/product/bin:/apex/com.android.runtime/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin'], ['HOME', '/'], ['USER', 'shell']]), lastStatus: 0, cpuMask: null };

  constructor(private readonly host: ShellHost) {}

  /** Runs a command line as a new process; resolves to its exit status (adb v1 shell does not pass it on). */
  async run(source: string, io: ShellIo, outer: AbortSignal): Promise<number> {
    const controller = new AbortController();
    const pid = this.host.processes.spawn(controller);
    this.state.vars.set('$', String(pid));
    try {
      return await this.runIn(source, io, AbortSignal.any([outer, controller.signal]));
    } finally {
      this.host.processes.exit(pid);
    }
  }

  private async runIn(source: string, io: ShellIo, signal: AbortSignal): Promise<number> {
    let program: Node;
    try {
      program = parseShell(source);
    } catch (error) {
      if (error instanceof ShellSyntaxError) {
        await io.err(shellMessage(`syntax error: ${error.message}`));
        return 2;
      }
      throw error;
    }
    try {
      const status = await this.exec(program, io, signal);
      return signal.aborted ? killedStatus(signal) : status;
    } catch (error) {
      if (signal.aborted) return killedStatus(signal);
      if (error instanceof ExitSignal) return error.code;
      throw error;
    }
  }

  private async exec(node: Node, io: ShellIo, signal: AbortSignal): Promise<number> {
    if (signal.aborted) throw new ExitSignal(killedStatus(signal));
    let status: number;
    switch (node.kind) {
      case 'seq':
        status = 0;
        for (const item of node.items) status = await this.exec(item, io, signal);
        return status;
      case 'and':
        status = await this.exec(node.left, io, signal);
        return status === 0 ? this.exec(node.right, io, signal) : status;
      case 'or':
        status = await this.exec(node.left, io, signal);
        return status !== 0 ? this.exec(node.right, io, signal) : status;
      case 'pipe': {
        let input = io.stdin;
        status = 0;
        for (let i = 0; i < node.stages.length; i++) {
          const last = i === node.stages.length - 1;
          const chunks: Buffer[] = [];
          const out: Writer = last ? io.out : async (d) => void chunks.push(Buffer.from(d));
          status = await this.exec(node.stages[i], { out, err: io.err, stdin: input }, signal);
          input = Buffer.concat(chunks);
        }
        return this.setStatus(status);
      }
      case 'if': {
        const cond = await this.exec(node.cond, io, signal);
        if (cond === 0) return this.exec(node.then, io, signal);
        return node.otherwise ? this.exec(node.otherwise, io, signal) : this.setStatus(0);
      }
      case 'loop': {
        status = 0;
        for (let i = 0; i < MAX_LOOP_ITERATIONS; i++) {
          const cond = await this.exec(node.cond, io, signal);
          if ((cond === 0) === node.until) break;
          status = await this.exec(node.body, io, signal);
          await new Promise((r) => setImmediate(r));
        }
        return this.setStatus(status);
      }
      case 'for': {
        status = 0;
        const items: string[] = [];
        for (const w of node.items) items.push(...this.expand(w));
        for (const item of items) {
          this.state.vars.set(node.name, item);
          status = await this.exec(node.body, io, signal);
        }
        return this.setStatus(status);
      }
      case 'cmd':
        return this.setStatus(await this.simple(node, io, signal));
    }
  }

  private setStatus(status: number): number {
    this.state.lastStatus = status;
    return status;
  }

  private async simple(node: Extract<Node, { kind: 'cmd' }>, io: ShellIo, signal: AbortSignal): Promise<number> {
    const args = node.words.flatMap((w) => this.expand(w));
    if (args.length === 0) {
      for (const a of node.assigns) this.state.vars.set(a.name, this.expand(a.value, false).join(''));
      return 0;
    }
    const files: Array<{ path: string; chunks: Buffer[]; append: boolean }> = [];
    const fds: Writer[] = [io.out, io.out, io.err];
    let stdin = io.stdin;
    for (const r of node.redirects) {
      const target = this.expand(r.target, false).join('');
      if (r.op === '>&') {
        if (!/^[12]$/.test(target)) {
          await io.err(shellMessage(`${target}: bad file descriptor`));
          return 1;
        }
        fds[r.fd] = fds[Number(target)];
      } else if (r.op === '<') {
        try {
          stdin = this.host.vfs.read(Vfs.normalize(target, this.state.cwd));
        } catch (error) {
          await io.err(shellMessage(`can't open ${target}: ${(error as VfsError).reason ?? 'error'}`));
          return 1;
        }
      } else if (target === '/dev/null') {
        fds[r.fd] = discard;
      } else {
        const path = Vfs.normalize(target, this.state.cwd);
        if (!this.host.vfs.hostPath(path)) {
          await io.err(shellMessage(`can't create ${target}: ${this.host.vfs.stat(path) ? 'Read-only file system' : 'Permission denied'}`));
          return 1;
        }
        const file = { path, chunks: [] as Buffer[], append: r.op === '>>' };
        files.push(file);
        fds[r.fd] = async (d) => void file.chunks.push(Buffer.from(d));
      }
    }
    const cmdIo: ShellIo = { out: fds[1], err: fds[2], stdin };
    const status = await this.command(args, cmdIo, signal);
    for (const f of files) this.host.vfs.write(f.path, Buffer.concat(f.chunks), { append: f.append });
    return status;
  }

  /** Runs one command: a builtin, a file by path, or "not found". */
  async command(args: string[], io: ShellIo, signal: AbortSignal): Promise<number> {
    const name = args[0];
    const ctx: CommandContext = {
      args,
      io,
      state: this.state,
      signal,
      exec: (inner, innerIo) => this.command(inner, innerIo, signal),
    };
    if (name === 'exit') throw new ExitSignal(args[1] ? Number(args[1]) & 255 : this.state.lastStatus);
    if (name === 'exec') {
      if (args.length === 1) return 0;
      throw new ExitSignal(await this.command(args.slice(1), io, signal));
    }
    if (name === 'sh' && args[1] === '-c' && args[2] !== undefined) return new Shell(this.host).run(args[2], io, signal);
    if (name.includes('/')) {
      const path = Vfs.normalize(name, this.state.cwd);
      const st = this.host.vfs.stat(path);
      if (!st) {
        await io.err(shellMessage(`${name}: inaccessible or not found`));
        return 127;
      }
      if (st.type === 'dir' || (st.mode & 0o111) === 0) {
        await io.err(shellMessage(`${name}: can't execute: Permission denied`));
        return 126;
      }
      const run = this.host.execFile(path, ctx);
      if (run) return run;
      await io.err(shellMessage(`${name}: can't execute: Exec format error`));
      return 126;
    }
    const builtin = this.host.builtins.get(name);
    if (!builtin) {
      await io.err(shellMessage(`${name}: inaccessible or not found`));
      return 127;
    }
    try {
      return await builtin(ctx);
    } catch (error) {
      if (error instanceof VfsError) {
        await io.err(`${name}: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  }

  /** Expands one word into fields: variables, field splitting of unquoted expansions, globbing. */
  expand(word: Word, split = true): string[] {
    let text = '';
    let globbable = false;
    const fields: string[] = [];
    let hadQuoted = false;
    for (const seg of word) {
      if (seg.type === 'lit') {
        text += seg.text;
        if (seg.quoted) hadQuoted = true;
        else if (/[*?]/.test(seg.text)) globbable = true;
        continue;
      }
      const value = this.variable(seg.name);
      if (seg.quoted || !split) {
        text += value;
        hadQuoted = true;
        continue;
      }
      const parts = value.split(/[ \t\n]+/);
      for (let i = 0; i < parts.length; i++) {
        if (i > 0) {
          if (text !== '') fields.push(text);
          text = '';
        }
        text += parts[i];
      }
    }
    if (text !== '' || hadQuoted) fields.push(text);
    if (!split || !globbable) return fields;
    return fields.flatMap((f) => this.host.vfs.glob(f, this.state.cwd));
  }

  private variable(name: string): string {
    if (name === '?') return String(this.state.lastStatus);
    if (name === '#') return '0';
    return this.state.vars.get(name) ?? '';
  }
}
