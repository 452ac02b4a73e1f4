/** toybox-style file and text commands of the simulated shell (echo, cat, ls, sha256sum, chmod...). */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Vfs, VfsError, type VfsStat } from '../vfs';
import { shellMessage, type Builtin, type CommandContext } from './interpret';

type Table = Map<string, Builtin>;

function flagsAndOperands(args: string[]): { flags: Set<string>; operands: string[] } {
  const flags = new Set<string>();
  const operands: string[] = [];
  let done = false;
  for (const a of args) {
    if (!done && a === '--') done = true;
    else if (!done && /^-[A-Za-z]+$/.test(a)) for (const f of a.slice(1)) flags.add(f);
    else operands.push(a);
  }
  return { flags, operands };
}

const abs = (ctx: CommandContext, p: string) => Vfs.normalize(p, ctx.state.cwd);

function permString(st: VfsStat): string {
  const bits = 'rwxrwxrwx';
  let s = st.type === 'dir' ? 'd' : '-';
  for (let i = 0; i < 9; i++) s += st.mode & (0o400 >> i) ? bits[i] : '-';
  return s;
}

function longLine(name: string, st: VfsStat): string {
  const d = new Date(st.mtimeS * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const when = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return `${permString(st)} 1 shell shell ${String(st.size).padStart(8)} ${when} ${name}\n`;
}

/** Applies a chmod mode (octal, or symbolic like +x, u+x, a-w) to a current mode. */
export function applyChmod(spec: string, current: number): number | null {
  if (/^[0-7]{1,4}$/.test(spec)) return parseInt(spec, 8);
  const m = /^([ugoa]*)([+=-])([rwx]+)$/.exec(spec);
  if (!m) return null;
  const who = m[1] || 'a';
  let mask = 0;
  for (const p of m[3]) {
    const bit = p === 'r' ? 4 : p === 'w' ? 2 : 1;
    if (who.includes('u') || who.includes('a')) mask |= bit << 6;
    if (who.includes('g') || who.includes('a')) mask |= bit << 3;
    if (who.includes('o') || who.includes('a')) mask |= bit;
  }
  const perms = current & 0o7777;
  return m[2] === '+' ? perms | mask : m[2] === '-' ? perms & ~mask : (perms & ~0o777) | mask;
}

async function eachFile(vfs: Vfs, ctx: CommandContext, name: string, paths: string[], fn: (path: string, data: Buffer) => Promise<void>): Promise<number> {
  let status = 0;
  for (const p of paths) {
    try {
      await fn(p, p === '-' ? (ctx.io.stdin ?? Buffer.alloc(0)) : vfs.read(abs(ctx, p)));
    } catch (error) {
      if (!(error instanceof VfsError)) throw error;
      await ctx.io.err(`${name}: ${p}: ${error.reason}\n`);
      status = 1;
    }
  }
  return status;
}

function testExpr(vfs: Vfs, ctx: CommandContext, a: string[]): boolean {
  if (a[0] === '!') return !testExpr(vfs, ctx, a.slice(1));
  if (a.length === 0) return false;
  if (a.length === 1) return a[0] !== '';
  if (a.length === 2) {
    const st = () => vfs.stat(abs(ctx, a[1]));
    switch (a[0]) {
      case '-n': return a[1] !== '';
      case '-z': return a[1] === '';
      case '-e': return st() !== null;
      case '-f': return st()?.type === 'file';
      case '-d': return st()?.type === 'dir';
      case '-x': return ((st()?.mode ?? 0) & 0o111) !== 0;
      case '-s': return (st()?.size ?? 0) > 0;
      case '-r': return st() !== null;
    }
    return false;
  }
  const [l, op, r] = a;
  const ln = Number(l);
  const rn = Number(r);
  switch (op) {
    case '=': case '==': return l === r;
    case '!=': return l !== r;
    case '-eq': return ln === rn;
    case '-ne': return ln !== rn;
    case '-lt': return ln < rn;
    case '-le': return ln <= rn;
    case '-gt': return ln > rn;
    case '-ge': return ln >= rn;
  }
  return false;
}

export function fsBuiltins(vfs: Vfs, uname: { machine: string; release: string }): Table {
  const t: Table = new Map();
  const readVfs = (ctx: CommandContext, p: string) => vfs.read(abs(ctx, p));
  t.set('true', () => 0);
  t.set('false', () => 1);
  t.set(':', () => 0);
  t.set('echo', async (ctx) => {
    let args = ctx.args.slice(1);
    let newline = true;
    let escapes = false;
    while (args[0] && /^-[neE]+$/.test(args[0])) {
      if (args[0].includes('n')) newline = false;
      if (args[0].includes('e')) escapes = true;
      args = args.slice(1);
    }
    let text = args.join(' ');
    if (escapes) text = text.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
    await ctx.io.out(text + (newline ? '\n' : ''));
    return 0;
  });
  t.set('sleep', async (ctx) => {
    const s = Number(ctx.args[1] ?? '0');
    if (!Number.isFinite(s) || s < 0) {
      await ctx.io.err(`sleep: invalid time interval '${ctx.args[1]}'\n`);
      return 1;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(s, 86_400) * 1000);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    return 0;
  });
  t.set('pwd', async (ctx) => (await ctx.io.out(`${ctx.state.cwd}\n`), 0));
  t.set('cd', async (ctx) => {
    const target = abs(ctx, ctx.args[1] ?? '/');
    if (vfs.stat(target)?.type !== 'dir') {
      await ctx.io.err(shellMessage(`cd: ${target}: No such file or directory`));
      return 2;
    }
    ctx.state.cwd = target;
    return 0;
  });
  t.set('cat', async (ctx) => {
    const files = ctx.args.slice(1);
    if (files.length === 0) {
      if (ctx.io.stdin) await ctx.io.out(ctx.io.stdin);
      return 0;
    }
    return eachFile(vfs, ctx, 'cat', files, (_, data) => ctx.io.out(data));
  });
  for (const [name, algo] of [['sha256sum', 'sha256'], ['md5sum', 'md5']] as const) {
    t.set(name, async (ctx) => {
      const files = ctx.args.slice(1).filter((a) => !a.startsWith('-') || a === '-');
      if (files.length === 0) files.push('-');
      return eachFile(vfs, ctx, name, files, (p, data) => ctx.io.out(`${createHash(algo).update(data).digest('hex')}  ${p}\n`));
    });
  }
  t.set('ls', async (ctx) => {
    const { flags, operands } = flagsAndOperands(ctx.args.slice(1));
    const targets = operands.length ? operands : ['.'];
    let status = 0;
    for (const target of targets) {
      const p = abs(ctx, target);
      const st = vfs.stat(p);
      if (!st) {
        await ctx.io.err(`ls: ${target}: No such file or directory\n`);
        status = 1;
        continue;
      }
      if (st.type === 'file' || flags.has('d')) {
        await ctx.io.out(flags.has('l') ? longLine(target, st) : `${target}\n`);
        continue;
      }
      if (targets.length > 1) await ctx.io.out(`${target}:\n`);
      const entries = vfs.list(p).filter((e) => flags.has('a') || !e.name.startsWith('.'));
      for (const e of entries) await ctx.io.out(flags.has('l') ? longLine(e.name, e) : `${e.name}\n`);
    }
    return status;
  });
  t.set('rm', async (ctx) => {
    const { flags, operands } = flagsAndOperands(ctx.args.slice(1));
    let status = 0;
    for (const target of operands) {
      try {
        vfs.remove(abs(ctx, target), flags.has('r') || flags.has('R'));
      } catch (error) {
        if (!(error instanceof VfsError)) throw error;
        if (flags.has('f') && error.reason === 'No such file or directory') continue;
        await ctx.io.err(`rm: ${target}: ${error.reason}\n`);
        status = 1;
      }
    }
    return status;
  });
  t.set('mkdir', async (ctx) => {
    const { flags, operands } = flagsAndOperands(ctx.args.slice(1));
    for (const target of operands) {
      const p = abs(ctx, target);
      if (vfs.stat(p)) {
        if (flags.has('p')) continue;
        await ctx.io.err(`mkdir: ${target}: File exists\n`);
        return 1;
      }
      vfs.mkdir(p, flags.has('p'));
    }
    return 0;
  });
  t.set('chmod', async (ctx) => {
    const [spec, ...targets] = ctx.args.slice(1).filter((a) => a !== '-R');
    let status = 0;
    for (const target of targets) {
      const p = abs(ctx, target);
      const st = vfs.stat(p);
      const mode = st ? applyChmod(spec, st.mode) : null;
      if (!st) {
        await ctx.io.err(`chmod: ${target}: No such file or directory\n`);
        status = 1;
      } else if (mode === null) {
        await ctx.io.err(`chmod: bad mode '${spec}'\n`);
        return 1;
      } else vfs.chmod(p, mode);
    }
    return status;
  });
  t.set('touch', async (ctx) => {
    for (const target of ctx.args.slice(1)) if (!vfs.stat(abs(ctx, target))) vfs.write(abs(ctx, target), '');
    return 0;
  });
  t.set('mv', async (ctx) => {
    const [from, to] = ctx.args.slice(1);
    const data = vfs.read(abs(ctx, from));
    const st = vfs.stat(abs(ctx, from))!;
    vfs.writeAtomic(abs(ctx, to), data, st.mode);
    vfs.remove(abs(ctx, from), false);
    return 0;
  });
  t.set('wc', async (ctx) => {
    const data = (ctx.args[ctx.args.length - 1] && ctx.args.length > 1 && !ctx.args[ctx.args.length - 1].startsWith('-') ? readVfs(ctx, ctx.args[ctx.args.length - 1]) : ctx.io.stdin) ?? Buffer.alloc(0);
    const text = data.toString('utf8');
    const lines = (text.match(/\n/g) ?? []).length;
    await ctx.io.out(ctx.args.includes('-l') ? `${lines}\n` : `${lines} ${text.split(/\s+/).filter(Boolean).length} ${data.length}\n`);
    return 0;
  });
  t.set('grep', async (ctx) => {
    const { flags, operands } = flagsAndOperands(ctx.args.slice(1));
    const [pattern, ...files] = operands;
    if (pattern === undefined) return 2;
    const re = new RegExp(flags.has('F') ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : pattern, flags.has('i') ? 'i' : '');
    const sources = files.length ? files.map((f) => readVfs(ctx, f)) : [ctx.io.stdin ?? Buffer.alloc(0)];
    let found = false;
    for (const src of sources) {
      for (const line of src.toString('utf8').split('\n')) {
        if (line === '' || re.test(line) === flags.has('v')) continue;
        found = true;
        if (!flags.has('q')) await ctx.io.out(`${line}\n`);
      }
    }
    return found ? 0 : 1;
  });
  for (const name of ['head', 'tail']) {
    t.set(name, async (ctx) => {
      const nIndex = ctx.args.indexOf('-n');
      const n = nIndex > 0 ? Number(ctx.args[nIndex + 1]) : 10;
      const file = ctx.args.slice(1).find((a, i, all) => !a.startsWith('-') && all[i - 1] !== '-n');
      const lines = (file ? readVfs(ctx, file) : ctx.io.stdin ?? Buffer.alloc(0)).toString('utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      const picked = name === 'head' ? lines.slice(0, n) : lines.slice(Math.max(0, lines.length - n));
      if (picked.length) await ctx.io.out(`${picked.join('\n')}\n`);
      return 0;
    });
  }
  t.set('basename', async (ctx) => (await ctx.io.out(`${posix.basename(ctx.args[1] ?? '')}\n`), 0));
  t.set('id', async (ctx) => (await ctx.io.out('uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats) context=u:r:shell:s0\n'), 0));
  t.set('uname', async (ctx) => {
    const a = ctx.args.slice(1).join('');
    const text = a.includes('a') ? `Linux localhost ${uname.release} #1 SMP PREEMPT ${uname.machine} Toybox` : a.includes('m') ? uname.machine : a.includes('r') ? uname.release : 'Linux';
    await ctx.io.out(`${text}\n`);
    return 0;
  });
  for (const name of ['test', '[']) {
    t.set(name, (ctx) => {
      const a = ctx.args.slice(1);
      if (name === '[' && a.pop() !== ']') return 2;
      return testExpr(vfs, ctx, a) ? 0 : 1;
    });
  }
  t.set('which', async (ctx) => {
    let status = 0;
    for (const c of ctx.args.slice(1)) {
      if (t.has(c)) await ctx.io.out(`/system/bin/${c}\n`);
      else status = 1;
    }
    return status;
  });
  return t;
}
