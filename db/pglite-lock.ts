/**
 * PGlite keeps the whole database in one process's memory and flushes it to its directory; two
 * processes opening one directory would overwrite each other. A lock file next to the directory
 * (`<dir>.lock`, holding the owner's pid) makes the second opener fail with a clear message. A
 * lock left by a process that no longer exists is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { ConflictError } from '../core/errors';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of a PGlite directory; returns its release. Throws ConflictError when it is held. */
export function acquirePgliteLock(dir: string): () => Promise<void> {
  const path = `${dir}.lock`;
  // Two rounds at most: the second runs only after removing a stale lock.
  for (let round = 0; round < 2; round++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) {
        const who = owner === process.pid ? 'this process' : `process ${owner}`;
        throw new ConflictError(
          `the PGlite database at ${dir} is already open in ${who}; stop it first, or share the farm through PostgreSQL (--db postgres://...)`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new ConflictError(`could not take the lock ${path} of the PGlite database at ${dir}`);
}
