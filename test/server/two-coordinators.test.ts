import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { eventually, TestFarm } from './support/test-farm';

describeEachDb('two coordinators on one database', (getDb) => {
  let a: TestFarm;
  let b: TestFarm;
  beforeEach(async () => {
    a = await TestFarm.start(getDb());
    b = await TestFarm.start(getDb(), {}, true);
  });
  afterEach(async () => {
    await b.stop();
    await a.stop();
  });

  it('each dispatches to its own agents, including sweeps created on the other, with leases owned by it', async () => {
    const t1 = await a.addDevice('d1');
    const t2 = await a.addDevice('d2');
    const onA = a.agent({ token: t1 });
    const onB = b.agent({ token: t2, onJob: () => 'hold' });
    await onB.until(() => onB.of('welcome').length === 1, 'welcome on b');
    const s1 = await a.startSweep({ device: 'd1', count: 2 });
    const s2 = await a.startSweep({ device: 'd2', count: 2 });
    await a.waitSweep(s1.id);
    expect(onA.jobs).toHaveLength(2);
    await onB.until(() => onB.jobs.length === 1, 'a job through coordinator b (periodic dispatch)');
    const job = await getDb().db.query.jobs.findFirst({ where: (j, { eq }) => eq(j.id, Number(onB.jobs[0].jobId)) });
    expect(job?.leaseOwner).toBe(b.coordinator.instanceId);

    // cancelled through a: b's agent learns it on its next heartbeat
    await a.api('POST', `/api/sweeps/${s2.id}/cancel`, { reason: 'from a' });
    await onB.until(() => onB.of('cancel').length === 1, 'a cancel relayed by coordinator b');
    await b.waitSweep(s2.id, ['cancelled']);
    await eventually(async () => (await getDb().db.query.jobs.findFirst({ where: (j, { eq }) => eq(j.id, Number(onB.jobs[0].jobId)) }))?.status === 'cancelled', 'the job to end cancelled');
    expect(onB.jobs).toHaveLength(1);
  });
});
