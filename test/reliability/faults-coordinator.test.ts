/**
 * The coordinator process killed with SIGKILL (no shutdown at all) mid-sweep, twice, and
 * restarted on the same port and farm home: on PGlite the dead process's data-directory lock is
 * taken over and the database recovers; results the agent measured while the coordinator was
 * down wait in its outbox and are stored once after the restart. Every job ends measured once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { ADMIN, FarmCluster } from './support/farm-cluster';

describeEachDb('coordinator killed mid-sweep (real processes)', (getDb) => {
  let cluster: FarmCluster;
  beforeEach(async () => {
    const db = getDb();
    if (db.kind === 'postgres') await db.reset();
    cluster = new FarmCluster(db.url);
  });
  afterEach(async () => {
    await cluster.stopAll();
  });

  it('restarts after SIGKILL with nothing lost or doubled; results measured meanwhile are resent once', async () => {
    let server = await cluster.startServer('coordinator-1', { home: 'farm' });
    const token = await cluster.addDevice(server.url, 'edge-1');
    const agent = cluster.startAgent('agent', token, server.url);
    const sweep = await cluster.startSweep(server.url, 'edge-1', 5, { minTimedMs: 1200 });
    const lock = join(server.home, 'pglite.lock');

    const count = (re: RegExp) => (agent.output().match(new RegExp(re.source, 'g')) ?? []).length;
    for (const round of [1, 2]) {
      await cluster.waitOutput(agent, /job\.start /, `a job to start (round ${round})`, count(/job\.start /) + 1);
      await new Promise((r) => setTimeout(r, 300));
      const measured = count(/job\.measured /);
      await cluster.kill(server, 'SIGKILL');
      // down for longer than a job: the agent finishes it and keeps the result in its outbox
      await cluster.waitOutput(agent, /job\.measured /, `the job measured while the coordinator is down (round ${round})`, measured + 1);
      server = await cluster.startServer(`coordinator-${round + 1}`, { port: server.port, home: 'farm' });
      if (getDb().kind === 'pglite') expect(Number(readFileSync(lock, 'utf8'))).toBe(server.child.pid);
    }
    await cluster.waitSweep([server.url], sweep.id, (s) => s.state === 'done', 'the sweep to finish after two crashes');
    const rows = await cluster.expectSettledOnce(server.url, sweep.id);
    expect(rows.filter((m) => m.counted)).toHaveLength(5);
    expect(agent.output()).toMatch(/result\.sent .*resend=true/);
    expect(agent.child.exitCode).toBeNull();
    cluster.expectNoSecretsInLogs([token, ADMIN]);
  }, 240_000);
});
