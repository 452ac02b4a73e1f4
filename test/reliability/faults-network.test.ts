/**
 * Network faults between a real edge agent process and a real coordinator process, through a
 * TCP proxy the test breaks on purpose. Every job ends measured exactly once:
 * - the link is cut mid-job and restored within the offline timeout: the agent reconnects and
 *   its lease is kept, the job is measured once (attempt 1);
 * - the coordinator's acks are lost, then the link drops: the agent resends its result, which
 *   is stored once (the resend is acknowledged as already stored);
 * - the link is down longer than the offline timeout while the agent measures (a slow agent
 *   whose lease expired): its late result is kept uncounted, the job is measured again.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { ADMIN, FarmCluster, TIMINGS, type Coordinator } from './support/farm-cluster';
import { TcpProxy } from './support/tcp-proxy';

describeEachDb('network faults between agent and coordinator (real processes)', (getDb) => {
  let cluster: FarmCluster;
  let proxy: TcpProxy;
  let server: Coordinator;
  beforeEach(async () => {
    const db = getDb();
    if (db.kind === 'postgres') await db.reset();
    cluster = new FarmCluster(db.url);
    server = await cluster.startServer('coordinator');
    proxy = await TcpProxy.start([server.port]);
  });
  afterEach(async () => {
    await proxy.close();
    await cluster.stopAll();
  });

  it('resumes after a cut, resends a result whose ack was lost, and keeps a late result uncounted', async () => {
    const token = await cluster.addDevice(server.url, 'edge-1');
    const agent = cluster.startAgent('agent', token, proxy.url);
    // Its model comes through the proxy too: break the link only once it is downloaded.
    const modelReady = (id: number) => new RegExp(`job\\.start .*jobId=${id} [\\s\\S]*model\\.downloaded`);

    // 1. a short cut mid-job: the lease is kept and the job measured once, as attempt 1
    const s1 = await cluster.startSweep(server.url, 'edge-1', 3, { minTimedMs: 2500 });
    await cluster.waitOutput(agent, modelReady(1), "job 1's model to be downloaded");
    await new Promise((r) => setTimeout(r, 500));
    // Short enough that the reconnect backoff (0.5 s, then 1 s, jittered) lands well inside the
    // offline timeout even on a loaded machine.
    await proxy.outage(300);
    await cluster.waitOutput(agent, /agent\.welcome/, 'the agent to be welcomed again', 2);

    // 2. acks lost: job 2's result is stored but the agent never hears so; then the link drops
    await cluster.waitOutput(agent, modelReady(2), "job 2's model to be downloaded");
    proxy.dropDownstream = true;
    await cluster.waitSweep([server.url], s1.id, (s) => s.progress.done >= 2, 'job 2 to be stored');
    await new Promise((r) => setTimeout(r, 300));
    proxy.cut();
    proxy.dropDownstream = false;
    await cluster.waitOutput(agent, /result\.acked .*jobId=2 attempt=1 stored=false/, 'the resent result of job 2 to be acknowledged as a duplicate');
    await cluster.waitSweep([server.url], s1.id, (s) => s.state === 'done', 'sweep 1 to finish');
    const rows1 = await cluster.expectSettledOnce(server.url, s1.id);
    expect(rows1.filter((m) => m.jobId === 1)).toEqual([expect.objectContaining({ attempt: 1, counted: true })]);
    expect(rows1.filter((m) => m.jobId === 2)).toEqual([expect.objectContaining({ attempt: 1, counted: true })]);
    expect(rows1.every((m) => m.counted)).toBe(true);

    // 3. down longer than the offline timeout while measuring: the lease is lost, the result late
    const s2 = await cluster.startSweep(server.url, 'edge-1', 1, { minTimedMs: 6500 }, 2);
    const late = 4;
    await cluster.waitOutput(agent, modelReady(late), "the long job's model to be downloaded");
    await new Promise((r) => setTimeout(r, 300));
    await proxy.outage(TIMINGS.offlineAfterMs + 1800);
    await cluster.waitSweep([server.url], s2.id, (s) => s.state === 'done', 'sweep 2 to finish');
    const rows2 = await cluster.expectSettledOnce(server.url, s2.id);
    const ofJob = rows2.filter((m) => m.jobId === late);
    expect(ofJob.find((m) => m.attempt === 1)).toMatchObject({ counted: false });
    expect(ofJob.filter((m) => m.counted)).toEqual([expect.objectContaining({ status: expect.stringMatching(/ok|unstable/) })]);
    expect(ofJob.find((m) => m.counted).attempt).toBeGreaterThan(1);

    expect(server.child.exitCode).toBeNull();
    expect(agent.child.exitCode).toBeNull();
    cluster.expectNoSecretsInLogs([token, ADMIN]);
  }, 240_000);
});
