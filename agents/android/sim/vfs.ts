/**
 * The simulated phone's file system. Writable places (/data/local/tmp, /sdcard) are a sandbox
 * directory on the host; /proc and /sys entries are generated from the profile and the live
 * thermal state; everything else is absent or read-only, as for adb's `shell` user.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync, appendFileSync, renameSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;

export interface VfsStat {
  type: 'file' | 'dir';
  /** Full st_mode: type bits and permission bits. */
  mode: number;
  size: number;
  mtimeS: number;
}

export class VfsError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'No such file or directory' | 'Permission denied' | 'Read-only file system' | 'Is a directory' | 'Not a directory' | 'Directory not empty',
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Generated read-only files: absolute path -> content producer. */
export type GeneratedFiles = () => Map<string, () => string>;

const WRITABLE_ROOTS: Array<[string, string]> = [
  ['/data/local/tmp', 'data/local/tmp'],
  ['/sdcard', 'sdcard'],
  ['/storage/emulated/0', 'sdcard'],
];
const FIXED_DIRS = ['/', '/data', '/data/local', '/storage', '/storage/emulated', '/system', '/system/bin', '/proc', '/sys', '/vendor'];
const BOOT_TIME_S = Math.floor(Date.now() / 1000);

export class Vfs {
  constructor(
    readonly sandbox: string,
    private readonly generated: GeneratedFiles,
  ) {
    for (const [, rel] of WRITABLE_ROOTS) mkdirSync(join(sandbox, rel), { recursive: true });
  }

  static normalize(path: string, cwd = '/'): string {
    const abs = posix.resolve(cwd, path || '.');
    return abs.length > 1 ? abs.replace(/\/+$/, '') : abs;
  }

  /** Host path of a device path inside a writable root, or null. */
  hostPath(path: string): string | null {
    const p = Vfs.normalize(path);
    for (const [root, rel] of WRITABLE_ROOTS) {
      if (p === root || p.startsWith(`${root}/`)) return join(this.sandbox, rel, p.slice(root.length));
    }
    return null;
  }

  stat(path: string): VfsStat | null {
    const p = Vfs.normalize(path);
    const host = this.hostPath(p);
    if (host) {
      try {
        const st = statSync(host);
        return { type: st.isDirectory() ? 'dir' : 'file', mode: st.mode, size: st.size, mtimeS: Math.floor(st.mtimeMs / 1000) };
      } catch {
        return null;
      }
    }
    const files = this.generated();
    const producer = files.get(p);
    if (producer) return { type: 'file', mode: S_IFREG | 0o444, size: Buffer.byteLength(producer()), mtimeS: BOOT_TIME_S };
    if (this.generatedDirs(files).has(p)) return { type: 'dir', mode: S_IFDIR | 0o755, size: 4096, mtimeS: BOOT_TIME_S };
    return null;
  }

  read(path: string): Buffer {
    const p = Vfs.normalize(path);
    const st = this.stat(p);
    if (!st) throw new VfsError(p, 'No such file or directory');
    if (st.type === 'dir') throw new VfsError(p, 'Is a directory');
    const host = this.hostPath(p);
    if (host) {
      if ((st.mode & 0o444) === 0) throw new VfsError(p, 'Permission denied');
      return readFileSync(host);
    }
    return Buffer.from(this.generated().get(p)!(), 'utf8');
  }

  list(path: string): Array<{ name: string } & VfsStat> {
    const p = Vfs.normalize(path);
    const st = this.stat(p);
    if (!st) throw new VfsError(p, 'No such file or directory');
    if (st.type !== 'dir') throw new VfsError(p, 'Not a directory');
    const names = new Set<string>();
    const host = this.hostPath(p);
    if (host) for (const name of readdirSync(host)) names.add(name);
    const prefix = p === '/' ? '/' : `${p}/`;
    const files = this.generated();
    const candidates = [...files.keys(), ...this.generatedDirs(files), ...WRITABLE_ROOTS.map(([root]) => root)];
    for (const entry of candidates) {
      if (entry.startsWith(prefix) && entry.length > prefix.length) names.add(entry.slice(prefix.length).split('/')[0]);
    }
    return [...names]
      .sort()
      .map((name) => ({ name, ...(this.stat(posix.join(p, name)) as VfsStat) }))
      .filter((e) => e.type !== undefined);
  }

  write(path: string, data: Buffer | string, options: { append?: boolean; mode?: number } = {}): void {
    const host = this.writableHost(path);
    if (options.append) appendFileSync(host, data);
    else writeFileSync(host, data, options.mode === undefined ? undefined : { mode: options.mode & 0o777 });
    if (options.mode !== undefined) chmodSync(host, options.mode & 0o777);
  }

  /** Writes through a temporary name, then renames: a half-pushed file never looks complete. */
  writeAtomic(path: string, data: Buffer, mode: number, mtimeS?: number): void {
    const host = this.writableHost(path);
    mkdirSync(dirname(host), { recursive: true });
    const tmp = `${host}.sim-partial`;
    writeFileSync(tmp, data);
    chmodSync(tmp, mode & 0o777);
    renameSync(tmp, host);
    if (mtimeS) utimesSync(host, mtimeS, mtimeS);
  }

  chmod(path: string, mode: number): void {
    const host = this.writableHost(path);
    if (!this.stat(path)) throw new VfsError(Vfs.normalize(path), 'No such file or directory');
    chmodSync(host, mode & 0o7777);
  }

  mkdir(path: string, parents: boolean): void {
    const host = this.writableHost(path);
    mkdirSync(host, { recursive: parents });
  }

  remove(path: string, recursive: boolean): void {
    const p = Vfs.normalize(path);
    const st = this.stat(p);
    if (!st) throw new VfsError(p, 'No such file or directory');
    const host = this.writableHost(p);
    if (st.type === 'dir' && !recursive) throw new VfsError(p, 'Is a directory');
    rmSync(host, { recursive, force: false });
  }

  /** Expands `*` and `?` in the last components of a pattern; no match leaves it as is (sh behaviour). */
  glob(pattern: string, cwd = '/'): string[] {
    if (!/[*?]/.test(pattern)) return [pattern];
    const abs = Vfs.normalize(pattern, cwd);
    const parts = abs.split('/').filter(Boolean);
    let current = ['/'];
    for (const part of parts) {
      const next: string[] = [];
      for (const dir of current) {
        if (!/[*?]/.test(part)) {
          const candidate = posix.join(dir, part);
          if (this.stat(candidate)) next.push(candidate);
          continue;
        }
        const re = new RegExp(`^${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
        try {
          for (const entry of this.list(dir)) if (re.test(entry.name)) next.push(posix.join(dir, entry.name));
        } catch {
          // not a directory: no matches below it
        }
      }
      current = next;
    }
    return current.length ? current.sort() : [pattern];
  }

  private writableHost(path: string): string {
    const p = Vfs.normalize(path);
    const host = this.hostPath(p);
    if (host) return host;
    if (this.stat(p)) throw new VfsError(p, 'Read-only file system');
    throw new VfsError(p, 'Permission denied');
  }

  private generatedDirs(files: Map<string, () => string>): Set<string> {
    const dirs = new Set(FIXED_DIRS);
    for (const [root] of WRITABLE_ROOTS) dirs.add(root);
    for (const file of files.keys()) {
      let dir = posix.dirname(file);
      while (dir !== '/' && !dirs.has(dir)) {
        dirs.add(dir);
        dir = posix.dirname(dir);
      }
    }
    return dirs;
  }
}
