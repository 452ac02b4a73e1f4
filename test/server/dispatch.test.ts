import { createHash } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { getJob } from '../../db/queries/queue';
import { describeEachDb } from '../helpers/databases';
import { okMeasurement } from './support/protocol-agent';
import { eventually, TestFarm } from './support/test-farm';

describeEachDb('dispatch and results', (getDb) => {
  let farm: TestFarm;
  beforeEach(async () => {
    farm = await TestFarm.start(getDb());
  });
  afterEach(async () => {
    await farm.stop();
  });

  const job = (id: string | number) => getJob(getDb().db, Number(id));

  it('runs a sweep one job at a time and stores every result once, anchors included', async () => {
    const token = await farm.addDevice('d1');
    let inFlight = 0;
    let maxInFlight = 0;
    const agent = farm.agent({
      token,
      onJob: (j, a) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          a.result(j, okMeasurement(3));
        }, 30);
        return 'hold';
      },
    });
    const sweep = await farm.startSweep({ device: 'd1', count: 4, anchorEvery: 2 });
    const done = await farm.waitSweep(sweep.id);
    expect(done.progress).toMatchObject({ total: 7, done: 7, failed: 0 });
    expect(maxInFlight).toBe(1);
    expect(agent.of('ack').every((a) => a.stored)).toBe(true);
    expect(agent.jobs.map((j) => j.attempt)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(agent.jobs[0].label).toContain('(anchor)');
    expect(agent.jobs[0].inputShape).toEqual([1, 1, 20, 20]);
    const rows = await farm.measurements(`device=d1&sweep=${sweep.id}`);
    expect(rows).toHaveLength(7);
    expect(rows.filter((m) => m.anchor)).toHaveLength(3);
    expect(new Set(rows.filter((m) => m.anchor).map((m) => m.subnetId)).size).toBe(1);
    expect(rows.every((m) => m.medianMs === 3 && m.counted && m.macs > 0 && m.r >= 16)).toBe(true);
    const device = (await farm.api('GET', '/api/devices/d1', undefined, null)).body.device;
    expect(device.measurementCount).toBe(7);
  });

  it('stores a result sent twice once and acknowledges both', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token, onJob: () => 'hold' });
    await farm.startSweep({ device: 'd1', count: 1 });
    await agent.until(() => agent.jobs.length === 1, 'a job');
    const j = agent.jobs[0];
    agent.result(j, okMeasurement(5));
    agent.result(j, okMeasurement(7));
    await agent.until(() => agent.of('ack').length === 2, 'two acks');
    expect(agent.of('ack').map((a) => a.stored)).toEqual([true, false]);
    const rows = await farm.measurements('device=d1&uncounted=1');
    expect(rows).toHaveLength(1);
    expect(rows[0].medianMs).toBe(5);
  });

  it('refuses a result for a job leased to another device and changes nothing', async () => {
    const t1 = await farm.addDevice('d1');
    const t2 = await farm.addDevice('d2');
    const a1 = farm.agent({ token: t1, onJob: () => 'hold' });
    const a2 = farm.agent({ token: t2 });
    await farm.startSweep({ device: 'd1', count: 1 });
    await a1.until(() => a1.jobs.length === 1, 'a job');
    await a2.until(() => a2.of('welcome').length === 1, 'welcome');
    a2.result(a1.jobs[0], okMeasurement(1));
    await a2.until(() => a2.of('error').length === 1, 'an error frame');
    expect(a2.of('error')[0]).toMatchObject({ code: 'forbidden', message: expect.stringContaining('not assigned to this device') });
    expect(a2.closeCode).toBeNull();
    expect(await farm.measurements('device=d1&uncounted=1')).toEqual([]);
    expect((await job(a1.jobs[0].jobId))?.status).toBe('leased');
    a2.release(a1.jobs[0]);
    await a2.until(() => a2.of('error').length === 2, 'a second error frame');
    expect((await job(a1.jobs[0].jobId))?.status).toBe('leased');
  });

  it('puts a released job back in the queue without charging an attempt', async () => {
    const token = await farm.addDevice('d1');
    let first = true;
    const agent = farm.agent({ token, onJob: () => (first ? ((first = false), 'release') : 'result') });
    const sweep = await farm.startSweep({ device: 'd1', count: 1 });
    await farm.waitSweep(sweep.id);
    expect(agent.jobs.map((j) => [j.jobId, j.attempt])).toEqual([
      [agent.jobs[0].jobId, 1],
      [agent.jobs[0].jobId, 2],
    ]);
    const row = await job(agent.jobs[0].jobId);
    expect(row).toMatchObject({ status: 'done', attempt: 2, failures: 0 });
    expect(await farm.measurements('device=d1&uncounted=1')).toHaveLength(1);
  });

  it('re-leases the job of an agent killed mid-job as soon as the device comes back, and measures it once', async () => {
    const token = await farm.addDevice('d1');
    const crashing = farm.agent({ token, onJob: () => 'hold' });
    const sweep = await farm.startSweep({ device: 'd1', count: 1 });
    await crashing.until(() => crashing.jobs.length === 1, 'a job');
    crashing.kill();
    const restarted = farm.agent({ token });
    await farm.waitSweep(sweep.id);
    expect(restarted.jobs).toHaveLength(1);
    expect(restarted.jobs[0]).toMatchObject({ jobId: crashing.jobs[0].jobId, attempt: 2 });
    expect(await job(crashing.jobs[0].jobId)).toMatchObject({ status: 'done', attempt: 2, failures: 1 });
    expect(await farm.measurements('device=d1&uncounted=1')).toHaveLength(1);
  });

  it('returns the job of an agent that vanished to the queue when the reaper marks it offline', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token, onJob: () => 'hold' });
    await farm.startSweep({ device: 'd1', count: 1 });
    await agent.until(() => agent.jobs.length === 1, 'a job');
    agent.kill();
    const row = await eventually(async () => {
      const j = await job(agent.jobs[0].jobId);
      return j?.status === 'queued' ? j : undefined;
    }, 'the job to return to the queue');
    expect(row).toMatchObject({ attempt: 1, failures: 1 });
    expect(row.lastError).toContain('heartbeat');
    expect((await farm.api('GET', '/api/devices/d1', undefined, null)).body.device.status).toBe('offline');
  });

  it('keeps the lease of an agent that reconnects still measuring, and counts its result', async () => {
    const token = await farm.addDevice('d1');
    const first = farm.agent({ token, onJob: () => 'hold' });
    await farm.startSweep({ device: 'd1', count: 1 });
    await first.until(() => first.jobs.length === 1, 'a job');
    const held = first.jobs[0];
    first.kill();
    const second = farm.agent({ token });
    second.busy = held; // its first heartbeat, right after welcome, names the job it still measures
    await second.until(() => second.of('welcome').length === 1, 'welcome');
    await new Promise((r) => setTimeout(r, 300));
    second.result(held, okMeasurement(4));
    await second.until(() => second.of('ack').length === 1, 'ack');
    expect(await job(held.jobId)).toMatchObject({ status: 'done', attempt: 1, failures: 0 });
    expect(second.jobs).toEqual([]);
  });

  it('on a clean close while measuring, marks the device offline and re-queues its job at once', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token, onJob: () => 'hold' });
    await farm.startSweep({ device: 'd1', count: 1 });
    await agent.until(() => agent.jobs.length === 1, 'a job');
    agent.close(1000);
    const row = await eventually(async () => {
      const j = await job(agent.jobs[0].jobId);
      return j?.status === 'queued' ? j : undefined;
    }, 'the job to return to the queue', 1000);
    expect(row.failures).toBe(1);
    expect((await farm.api('GET', '/api/devices/d1', undefined, null)).body.device.status).toBe('offline');
  });

  it('tells the agent to stop when its sweep is cancelled', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token, onJob: () => 'hold' });
    const sweep = await farm.startSweep({ device: 'd1', count: 3 });
    await agent.until(() => agent.jobs.length === 1, 'a job');
    await farm.api('POST', `/api/sweeps/${sweep.id}/cancel`, { reason: 'enough' });
    await agent.until(() => agent.of('cancel').length === 1, 'a cancel frame');
    expect(agent.of('cancel')[0]).toMatchObject({ jobId: agent.jobs[0].jobId, attempt: 1, reason: expect.stringContaining('enough') });
    const final = await farm.waitSweep(sweep.id, ['cancelled']);
    await eventually(async () => (await job(agent.jobs[0].jobId))?.status === 'cancelled', 'the leased job to end cancelled', 5000);
    expect(final.progress.done).toBe(0);
    expect(agent.jobs).toHaveLength(1);
  });

  it('fails a job after its last attempt with the reason, and lists it with the sweep', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token, onJob: () => 'fail' });
    const sweep = await farm.startSweep({ device: 'd1', count: 1, maxAttempts: 2 });
    const done = await farm.waitSweep(sweep.id);
    expect(agent.jobs.map((j) => j.attempt)).toEqual([1, 2]);
    expect(done.progress).toMatchObject({ failed: 1, done: 0 });
    expect(done.failures).toEqual([expect.objectContaining({ attempts: 2, error: expect.stringContaining('test failure') })]);
    expect(await farm.measurements('device=d1&status=failed')).toHaveLength(2);
  });

  it('keeps a late result as data without counting it twice', async () => {
    await getDb().reset();
    await farm.stop();
    farm = await TestFarm.start(getDb(), { leaseMs: 600, offlineAfterMs: 5000 });
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token, onJob: () => 'hold' });
    await farm.startSweep({ device: 'd1', count: 1 });
    await agent.until(() => agent.jobs.length === 1, 'a job');
    const held = agent.jobs[0];
    agent.busy = null; // heartbeats stop naming the job: its lease runs out
    await eventually(async () => ((await job(held.jobId))?.status !== 'leased' || (await job(held.jobId))!.attempt > 1 ? true : undefined), 'the lease to expire', 5000);
    agent.result(held, okMeasurement(9));
    await agent.until(() => agent.of('ack').some((a) => a.jobId === held.jobId && a.attempt === 1), 'the ack of the late result');
    const late = (await farm.measurements('device=d1&uncounted=1')).find((m) => m.attempt === 1);
    expect(late).toMatchObject({ counted: false, medianMs: 9 });
    expect(await farm.measurements('device=d1')).toEqual([]);
  });

  it('serves a model only to the device whose job needs it, and it matches its hash', async () => {
    const t1 = await farm.addDevice('d1');
    const t2 = await farm.addDevice('d2');
    const agent = farm.agent({ token: t1, onJob: () => 'hold' });
    await farm.startSweep({ device: 'd1', count: 1 });
    await agent.until(() => agent.jobs.length === 1, 'a job');
    const { url, sha256, bytes } = agent.jobs[0].model;
    expect(url).toBe(`/artifacts/${sha256}`);
    const get = (token: string | null) => fetch(`${farm.url}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const own = await get(t1);
    expect(own.status).toBe(200);
    const body = new Uint8Array(await own.arrayBuffer());
    expect(body.byteLength).toBe(bytes);
    expect(createHash('sha256').update(body).digest('hex')).toBe(sha256);
    expect((await get(t2)).status).toBe(403);
    expect((await get('ofad_wrong')).status).toBe(401);
    expect((await get(null)).status).toBe(401);
    expect((await get(farm.coordinator.adminToken)).status).toBe(401);
    expect((await fetch(`${farm.url}/artifacts/not-a-hash`, { headers: { authorization: `Bearer ${t1}` } })).status).toBe(404);
  });

  it('never lets two devices of one host measure at the same time', async () => {
    const t1 = await farm.addDevice('a', 'edge', 'box');
    const t2 = await farm.addDevice('b', 'edge', 'box');
    let busy = 0;
    let overlap = 0;
    const answer = (j: Parameters<NonNullable<Parameters<typeof farm.agent>[0]['onJob']>>[0], a: Parameters<NonNullable<Parameters<typeof farm.agent>[0]['onJob']>>[1]) => {
      busy++;
      if (busy > 1) overlap++;
      setTimeout(() => {
        busy--;
        a.result(j);
      }, 40);
      return 'hold' as const;
    };
    farm.agent({ token: t1, onJob: answer });
    farm.agent({ token: t2, onJob: answer });
    const s1 = await farm.startSweep({ device: 'a', count: 3 });
    const s2 = await farm.startSweep({ device: 'b', count: 3 });
    await farm.waitSweep(s1.id);
    await farm.waitSweep(s2.id);
    expect(overlap).toBe(0);
  });

  it('dispatches a scheduled sweep only once its start time has come', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token });
    const sweep = await farm.startSweep({ device: 'd1', count: 1, startAt: Date.now() + 1500 });
    expect(sweep.state).toBe('scheduled');
    await new Promise((r) => setTimeout(r, 700));
    expect(agent.jobs).toEqual([]);
    await farm.waitSweep(sweep.id, ['done'], 10_000);
    expect(agent.jobs).toHaveLength(1);
  });

  it('measures every part of a blocks sweep and announces the finished sweep once', async () => {
    const token = await farm.addDevice('d1');
    const finished: number[] = [];
    farm.coordinator.events.on('sweep-finished', (e) => void finished.push(e.sweepId));
    const agent = farm.agent({ token });
    const sweep = await farm.startSweep({ device: 'd1', strategy: 'blocks', resolutions: [16], anchorEvery: 0 });
    const done = await farm.waitSweep(sweep.id, ['done'], 30_000);
    expect(done.count).toBe(done.progress.total);
    expect(agent.jobs.every((j) => j.inputShape.length === 4)).toBe(true);
    const rows = await farm.measurements(`sweep=${sweep.id}`);
    expect(rows).toHaveLength(done.progress.total);
    expect(rows.every((m) => m.partKey && !m.subnetId)).toBe(true);
    await eventually(async () => finished.length > 0, 'sweep-finished');
    expect(finished).toEqual([sweep.id]);
  });

  it('repeats a sweep on its schedule with the same subnets, and cancelling stops the schedule', async () => {
    const token = await farm.addDevice('d1');
    farm.agent({ token });
    const first = await farm.startSweep({ device: 'd1', count: 2, everyMs: 1500, anchorEvery: 0 });
    await farm.waitSweep(first.id);
    const successor = await eventually(async () => {
      const { sweeps } = (await farm.api('GET', '/api/sweeps?device=d1', undefined, null)).body;
      return sweeps.find((x: any) => x.previousSweepId === first.id);
    }, 'the next run to be scheduled');
    expect(new Date(successor.startAt).getTime() - new Date(first.startAt).getTime()).toBe(1500);
    await farm.waitSweep(successor.id, ['done'], 10_000);
    const subnetsOf = async (id: number) => (await farm.measurements(`sweep=${id}`)).map((m) => m.subnetId).sort();
    expect(await subnetsOf(successor.id)).toEqual(await subnetsOf(first.id));
    const third = await eventually(async () => {
      const { sweeps } = (await farm.api('GET', '/api/sweeps?device=d1', undefined, null)).body;
      return sweeps.find((x: any) => x.previousSweepId === successor.id);
    }, 'the third run to be scheduled');
    const cancelled = await farm.api('POST', `/api/sweeps/${third.id}/cancel`, { reason: 'stop the schedule' });
    expect(cancelled.body.sweep.state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 2000));
    const { sweeps } = (await farm.api('GET', '/api/sweeps?device=d1', undefined, null)).body;
    expect(sweeps.filter((x: any) => x.previousSweepId === third.id)).toEqual([]);
  });
});
