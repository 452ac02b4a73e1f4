/**
 * `npm install` runs this (postinstall): it fixes a bug of postgres.js 3.4.x (porsager/postgres
 * issues 1066, 1154, 1208; unfixed in 3.4.9) that a PostgreSQL restart under load triggers:
 * - a write scheduled with setImmediate runs after the connection closed and dereferences a null
 *   socket: an uncaught TypeError that kills the coordinator;
 * - closing clears the scheduled write without forgetting it, so the reconnected connection never
 *   flushes again (its startup message waits until connect_timeout, queries stall for seconds).
 * The fix: a write on a closed connection fails its queries with CONNECTION_CLOSED, and closing
 * forgets the pending write. Idempotent; fails loudly when the driver's code is not the expected one.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARK = '/* ofa-farm: patched nextWrite */';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'postgres');

const NEXT_WRITE = `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`;
const NEXT_WRITE_FIXED = `  function nextWrite(fn) {
    ${MARK}
    if (!socket) {
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`;
const TEARDOWN = `    clearImmediate(nextWriteTimer)\n`;
const TEARDOWN_FIXED = `    clearImmediate(nextWriteTimer)\n    nextWriteTimer = null\n    chunk = null\n`;

export function patchConnectionSource(text) {
  if (text.includes(MARK)) return text;
  const teardowns = text.split(TEARDOWN).length - 1;
  if (!text.includes(NEXT_WRITE) || teardowns !== 2) throw new Error('postgres.js connection.js is not the expected 3.4.x code; review db/patch-postgres-driver.mjs');
  return text.replace(NEXT_WRITE, NEXT_WRITE_FIXED).split(TEARDOWN).join(TEARDOWN_FIXED);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!existsSync(root)) process.exit(0);
  for (const flavour of ['src', 'cjs/src', 'cf/src']) {
    const file = join(root, flavour, 'connection.js');
    if (!existsSync(file)) continue;
    const before = readFileSync(file, 'utf8');
    const after = patchConnectionSource(before);
    if (after !== before) writeFileSync(file, after);
  }
}
