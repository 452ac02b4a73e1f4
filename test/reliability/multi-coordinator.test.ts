/**
 * Several coordinators on one database (real processes). On PostgreSQL: two `ofa-farm serve`
 * share it; three edge agents reach them through a round-robin TCP load balancer (agents name one
 * URL; the balancer skips a coordinator that refuses connections, as HAProxy or a cloud L4
 * balancer would); two of the devices share a host. One coordinator is SIGKILLed mid-sweep: its
 * agents reconnect through the balancer to the other. Every job is measured exactly once, a watcher
 * on the database never sees two leased jobs on one host, and the measurements of the two devices
 * sharing a host never overlap in time. On PGlite (one process per data directory) a second
 * coordinator on the same farm home is refused with a clear message.
 */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { ADMIN, FarmCluster } from './support/farm-cluster';
import { TcpProxy } from './support/tcp-proxy';

describeEachDb('several coordinators on one database (real processes)', (getDb) => {
  let cluster: FarmCluster;
  let balancer: TcpProxy | null = null;
  beforeEach(async () => {
    const db = getDb();
    if (db.kind === 'postgres') await db.reset();
    cluster = new FarmCluster(db.url);
  });
  afterEach(async () => {
    await balancer?.close();
    balancer = null;
    await cluster.stopAll();
  });

  it('shares the queue across coordinators, with none leasing a job twice, and survives losing one', async () => {
    const db = getDb();
    if (db.kind === 'pglite') {
      const first = await cluster.startServer('a', { home: 'shared' });
      await expect(cluster.startServer('b', { home: 'shared' })).rejects.toThrow(/already open in process \d+.*share the farm through PostgreSQL/s);
      expect((await fetch(`${first.url}/api/health`)).ok).toBe(true);
      return;
    }
    const a = await cluster.startServer('a');
    const b = await cluster.startServer('b');
    balancer = await TcpProxy.start([a.port, b.port]);
    const tokens = [await cluster.addDevice(a.url, 'edge-1', 'shared-box'), await cluster.addDevice(b.url, 'edge-2', 'shared-box'), await cluster.addDevice(a.url, 'edge-3')];
    const agents = tokens.map((t, i) => cluster.startAgent(`agent-${i + 1}`, t, balancer!.url));
    const sweeps: Array<{ id: number }> = [];
    for (const [i, device] of ['edge-1', 'edge-2', 'edge-3'].entries()) sweeps.push(await cluster.startSweep(i % 2 ? b.url : a.url, device, 4, { minTimedMs: 600 }, i + 1));

    // a watcher: never two leased jobs on one host, never one job leased by two owners
    let watching = true;
    const violations: string[] = [];
    const owners = new Set<string>();
    const watcher = (async () => {
      while (watching) {
        const rows = (await db.db.execute(sql`select d.host_key, count(*)::int as n, array_agg(j.lease_owner) as owners from jobs j join devices d on d.id = j.device_id where j.status = 'leased' group by d.host_key`)) as unknown as Array<{ host_key: string; n: number; owners: string[] }>;
        for (const r of rows) {
          if (r.n > 1) violations.push(`${r.n} leased jobs on host ${r.host_key}`);
          for (const o of r.owners) owners.add(o.split(':').slice(0, 2).join(':'));
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const done = async () => {
      let n = 0;
      for (const s of sweeps) n += (await cluster.api(b.url, 'GET', `/api/sweeps/${s.id}`)).body.sweep.progress.done;
      return n;
    };
    const deadline = Date.now() + 120_000;
    while ((await done()) < 4) {
      if (Date.now() > deadline) throw new Error(`no progress\n${cluster.tails()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await cluster.kill(a, 'SIGKILL');
    for (const s of sweeps) await cluster.waitSweep([b.url], s.id, (x) => x.state === 'done', `sweep ${s.id} to finish on the surviving coordinator`);
    watching = false;
    await watcher;

    expect(violations).toEqual([]);
    expect(owners.size, 'leases were taken by both coordinators').toBe(2);
    const counted: any[] = [];
    for (const s of sweeps) counted.push(...(await cluster.expectSettledOnce(b.url, s.id)).filter((m) => m.counted));
    expect(counted).toHaveLength(12);
    const shared = counted.filter((m) => m.sweepId !== sweeps[2].id).map((m) => [Date.parse(m.startedAt), Date.parse(m.finishedAt)] as const);
    expect(shared).toHaveLength(8);
    shared.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < shared.length; i++) expect(shared[i][0], 'two devices of one host measured at the same time').toBeGreaterThanOrEqual(shared[i - 1][1]);
    // agents first spread over both coordinators, then all ended on the survivor
    expect(balancer.accepted.get(a.port) ?? 0).toBeGreaterThan(0);
    for (const name of ['edge-1', 'edge-2', 'edge-3']) expect(b.output()).toContain(`agent ${name} (edge`);
    for (const agent of agents) expect(agent.child.exitCode).toBeNull();
    cluster.expectNoSecretsInLogs([...tokens, ADMIN]);
  }, 240_000);
});
