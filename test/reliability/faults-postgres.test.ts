/**
 * PostgreSQL restarted (stopped at once, as a crash would) while agents report, twice: the
 * coordinator's pool reconnects, frames that failed meanwhile are answered with an error and
 * retried (results stay in the agents' outboxes until acknowledged), and every job of both
 * sweeps ends measured exactly once. Runs on a private PostgreSQL server started for the test:
 * the shared one at 127.0.0.1:5432 is never restarted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../db/client';
import { ADMIN, FarmCluster } from './support/farm-cluster';
import { PrivatePostgres, privatePostgresProblem } from './support/private-postgres';

const problem = await privatePostgresProblem();
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const wanted = (process.env.OFA_FARM_TEST_DB ?? 'both').toLowerCase() !== 'pglite';

describe.skipIf(!wanted || (problem !== null && !IN_CI))(`PostgreSQL restarted while agents report (real processes) [postgres]${problem ? ` (${problem})` : ''}`, () => {
  let pg: PrivatePostgres;
  let cluster: FarmCluster;
  beforeAll(async () => {
    if (problem) throw new Error(`a private PostgreSQL server is needed: ${problem}`);
    pg = await PrivatePostgres.start();
    cluster = new FarmCluster(await pg.createDatabase('farm'));
  });
  afterAll(async () => {
    await cluster?.stopAll();
    await pg?.stop();
  });

  it('keeps the database layer alive through a restart under concurrent transactions, and reconnects within seconds', async () => {
    // the driver fix of db/patch-postgres-driver.mjs (run by npm install) must be in place
    const driver = readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', 'postgres', 'src', 'connection.js'), 'utf8');
    expect(driver, 'run `npm install` (its postinstall patches postgres.js)').toContain('ofa-farm: patched nextWrite');
    const handle = await openDb({ kind: 'postgres', url: await pg.createDatabase('driver') });
    let stop = false;
    let restartedAt = Number.POSITIVE_INFINITY;
    const lastOk: number[] = [];
    const worker = async (i: number) => {
      while (!stop) {
        try {
          await handle.db.transaction(async (tx) => {
            await tx.execute(sql`select pg_sleep(0.02)`);
            await tx.execute(sql`select 1`);
          });
          lastOk[i] = Date.now();
        } catch {
          // refused while the server is down
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const workers = Array.from({ length: 14 }, (_, i) => worker(i));
    await new Promise((r) => setTimeout(r, 500));
    await pg.restart(1500);
    restartedAt = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    stop = true;
    await Promise.all(workers);
    await handle.close();
    // every worker completed a transaction again within a few seconds of the restart
    for (let i = 0; i < 14; i++) expect(lastOk[i], `worker ${i}`).toBeGreaterThan(restartedAt);
  }, 60_000);

  it('reconnects after each restart and stores every result once', async () => {
    const server = await cluster.startServer('coordinator');
    const tokens = [await cluster.addDevice(server.url, 'edge-1'), await cluster.addDevice(server.url, 'edge-2')];
    const agents = tokens.map((t, i) => cluster.startAgent(`agent-${i + 1}`, t, server.url));
    const sweeps = [await cluster.startSweep(server.url, 'edge-1', 6, { minTimedMs: 400 }, 1), await cluster.startSweep(server.url, 'edge-2', 6, { minTimedMs: 400 }, 2)];
    const done = async () => {
      let n = 0;
      for (const s of sweeps) n += (await cluster.api(server.url, 'GET', `/api/sweeps/${s.id}`)).body.sweep.progress.done;
      return n;
    };
    for (const target of [2, 6]) {
      const deadline = Date.now() + 120_000;
      while ((await done()) < target) {
        if (Date.now() > deadline) throw new Error(`fewer than ${target} results\n${cluster.tails()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await pg.restart(1500);
    }
    for (const s of sweeps) await cluster.waitSweep([server.url], s.id, (x) => x.state === 'done', `sweep ${s.id} to finish after the restarts`);
    for (const s of sweeps) expect((await cluster.expectSettledOnce(server.url, s.id)).filter((m) => m.counted)).toHaveLength(6);
    expect(server.child.exitCode).toBeNull();
    for (const a of agents) expect(a.child.exitCode).toBeNull();
    cluster.expectNoSecretsInLogs([...tokens, ADMIN]);
  }, 300_000);
});
