/**
 * Following a sweep until it ends: a progress bar redrawn in place on a terminal, a line per
 * change elsewhere. Polls the coordinator (bounded by the caller's AbortSignal).
 */
import type { FarmClient } from './client';
import { unwrap } from './client';
import type { Io } from './output';

type SweepBody = Awaited<ReturnType<typeof fetchSweep>>;

async function fetchSweep(client: FarmClient, id: number) {
  return (await unwrap(client.api.sweeps[':id'].$get({ param: { id: String(id) } }))).sweep;
}

export function progressLine(sweep: SweepBody, width = 30, elapsedMs?: number): string {
  const p = sweep.progress;
  const finished = p.done + p.failed + p.cancelled;
  const filled = p.total > 0 ? Math.round((finished / p.total) * width) : 0;
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  let eta = '';
  if (elapsedMs !== undefined && finished > 0 && finished < p.total) eta = `, ~${Math.ceil(((elapsedMs / finished) * (p.total - finished)) / 1000)} s left`;
  const extra = [p.failed ? `${p.failed} failed` : '', p.cancelled ? `${p.cancelled} cancelled` : '', p.leased ? `${p.leased} measuring` : ''].filter(Boolean).join(', ');
  return `sweep ${sweep.id} ${bar} ${finished}/${p.total}${extra ? ` (${extra})` : ''} ${sweep.state}${eta}`;
}

const POLL_MS = 1000;

/** Polls until the sweep is done or cancelled (or `signal` aborts); returns the last state. */
export async function followSweep(client: FarmClient, id: number, io: Io, signal: AbortSignal): Promise<SweepBody> {
  const started = Date.now();
  let last = '';
  let sweep = await fetchSweep(client, id);
  for (;;) {
    const line = progressLine(sweep, 30, Date.now() - started);
    if (io.isTty) io.err.write(`\r\x1b[2K${line}`);
    else if (line.replace(/, ~\d+ s left/, '') !== last) io.err.write(`${line}\n`);
    last = line.replace(/, ~\d+ s left/, '');
    if (sweep.state === 'done' || sweep.state === 'cancelled' || signal.aborted) break;
    await new Promise<void>((resolve) => {
      const onAbort = () => (clearTimeout(timer), resolve());
      const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), POLL_MS);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    if (signal.aborted) break;
    sweep = await fetchSweep(client, id);
  }
  if (io.isTty) io.err.write('\n');
  return sweep;
}
