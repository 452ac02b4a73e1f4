/**
 * Bad input over the agent WebSocket, checked against what is stored: a barrage of frames an
 * agent should not send (other devices' jobs, impossible attempts, measurements the database
 * cannot hold, random well-formed frames, garbage, wrong versions, oversized frames) gets error
 * frames, and a snapshot of every farm table taken before equals the one taken after.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../core/protocol';
import { describeEachDb } from '../helpers/databases';
import { okMeasurement, type ProtocolAgent } from '../server/support/protocol-agent';
import { TestFarm } from '../server/support/test-farm';
import { snapshotDb, snapshotDiff } from './support/db-snapshot';
import { fromAgentFrame } from './support/frame-arbitraries';

describeEachDb('bad input over the agent WebSocket changes nothing stored', (getDb) => {
  let farm: TestFarm;
  beforeEach(async () => {
    // long liveness timings: nothing may change on its own while the barrage runs
    farm = await TestFarm.start(getDb(), { offlineAfterMs: 120_000, leaseMs: 600_000 });
  });
  afterEach(async () => {
    await farm.stop();
  });

  /** Sends frames, then a probe (a second hello) and waits for its answer: every frame before it was handled. */
  async function sendAndSettle(agent: ProtocolAgent, frames: Array<string | Record<string, unknown>>): Promise<void> {
    const probes = agent.of('error').filter((e) => e.code === 'already_authenticated').length;
    for (const f of frames) agent.sendRaw(typeof f === 'string' ? f : JSON.stringify({ v: 1, ...f }));
    agent.hello();
    await agent.until(() => agent.of('error').filter((e) => e.code === 'already_authenticated').length > probes, 'the probe answer', 30_000);
  }

  it('answers every wrong frame with an error naming the problem, and stores nothing', async () => {
    const [t1, t2, t3] = [await farm.addDevice('d1'), await farm.addDevice('d2'), await farm.addDevice('d3')];
    const a = farm.agent({ token: t1, heartbeatMs: 0, onJob: () => 'hold' });
    const b = farm.agent({ token: t2, heartbeatMs: 0, onJob: () => 'hold' });
    await farm.startSweep({ device: 'd1', count: 2, seed: 1 });
    await farm.startSweep({ device: 'd2', count: 2, seed: 2 });
    await a.until(() => a.jobs.length === 1, 'a job for d1');
    await b.until(() => b.jobs.length === 1, 'a job for d2');
    const c = farm.agent({ token: t3, heartbeatMs: 0 });
    await c.until(() => c.of('welcome').length === 1, 'welcome of d3');
    const mine = a.jobs[0];
    const theirs = b.jobs[0];
    const before = await snapshotDb(getDb().db);

    const ok = okMeasurement(3);
    const targeted: Array<[Record<string, unknown>, string, string]> = [
      [{ type: 'result', jobId: theirs.jobId, attempt: theirs.attempt, measurement: ok }, 'forbidden', 'not assigned to this device'],
      [{ type: 'release', jobId: theirs.jobId, attempt: theirs.attempt, reason: 'not mine' }, 'forbidden', 'not assigned to this device'],
      [{ type: 'result', jobId: '999999', attempt: 1, measurement: ok }, 'not_found', 'no job 999999'],
      [{ type: 'result', jobId: 'abc', attempt: 1, measurement: ok }, 'bad_frame', 'not a valid job id'],
      [{ type: 'result', jobId: mine.jobId, attempt: mine.attempt + 4, measurement: ok }, 'bad_frame', `no attempt ${mine.attempt + 4}`],
      [{ type: 'result', jobId: mine.jobId, attempt: mine.attempt, measurement: { ...ok, stats: null } }, 'bad_frame', 'measurement.stats'],
      [{ type: 'result', jobId: mine.jobId, attempt: mine.attempt, measurement: { ...ok, startedAt: 1e300 } }, 'bad_frame', 'startedAt'],
      [{ type: 'result', jobId: mine.jobId, attempt: mine.attempt, measurement: { ...ok, status: 'failed', error: 'nul \u0000 byte' } }, 'bad_frame', 'measurement'],
      [{ type: 'result', jobId: mine.jobId, attempt: mine.attempt, measurement: { ...ok, provenance: { ...ok.provenance, runtime: 'nul \u0000' } } }, 'bad_frame', 'measurement'],
      [{ type: 'release', jobId: mine.jobId, attempt: mine.attempt, reason: 'nul \u0000 byte' }, 'bad_frame', '"release" frame has an invalid value'],
    ];
    for (const [frame, code, text] of targeted) {
      const seen = a.of('error').length;
      await sendAndSettle(a, [frame]);
      const answer = a.of('error')[seen];
      expect(answer, JSON.stringify(frame).slice(0, 200)).toMatchObject({ code });
      expect(answer.message).toContain(text);
    }

    // Frames that must be ignored quietly or refused: someone else's job in heartbeats, progress
    // and errors; random well-formed frames about other jobs; garbage and unknown types.
    await sendAndSettle(a, [
      { type: 'heartbeat', busyJobId: theirs.jobId },
      { type: 'progress', jobId: theirs.jobId, attempt: theirs.attempt, phase: 'measure', done: 1, total: 2 },
      { type: 'error', jobId: theirs.jobId, message: 'about a job that is not mine' },
      '{"v":1,"type":"teleport"}',
      '{not json',
      '[]',
      'x'.repeat(MAX_FRAME_BYTES + 1),
    ]);
    const foreign = fc.sample(
      fromAgentFrame.map((f) => ('jobId' in f && f.type !== 'error' ? { ...f, jobId: fc.sample(fc.constantFrom(theirs.jobId, '999999', 'x'), 1)[0] } : f)),
      { numRuns: 120, seed: 7 },
    );
    const safe = foreign.filter((f) => f.type !== 'error' || f.jobId !== mine.jobId).filter((f) => f.type !== 'heartbeat' || f.busyJobId !== mine.jobId);
    for (let i = 0; i < safe.length; i += 20) await sendAndSettle(a, safe.slice(i, i + 20).map(({ v: _v, ...f }) => f));
    expect(a.closeCode).toBeNull();

    // artifacts: another device's model, a garbage token, no token
    const model = (token: string | null) => fetch(`${farm.url}${mine.model.url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await model(t2)).status).toBe(403);
    expect((await model(t3)).status).toBe(403);
    expect((await model('ofad_garbage')).status).toBe(401);
    expect((await model(null)).status).toBe(401);

    // a wrong version closes (4002); a frame beyond the socket's payload limit closes (1009)
    a.sendRaw(JSON.stringify({ v: 2, type: 'heartbeat', busyJobId: null }));
    expect(await a.closed).toBe(4002);
    expect(a.of('error').at(-1)).toMatchObject({ code: 'bad_version' });
    c.sendRaw('y'.repeat(2 * MAX_FRAME_BYTES + 1));
    expect(await c.closed).toBe(1009);
    // a hello the database cannot store (a NUL character) is refused with a reason, and closed
    const nul = farm.agent({ token: t3, skipHello: true });
    await nul.opened;
    nul.send({ type: 'hello', token: t3, kind: 'edge', agentVersion: 'x', device: { runtime: 'r\u0000', runtimeVersion: '0' }, host: null });
    expect(await nul.closed).toBe(4003);
    expect(nul.of('error')[0]).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('"hello" frame has an invalid value') });
    const early = farm.agent({ token: t3, skipHello: true });
    await early.opened;
    early.sendRaw('z'.repeat(MAX_FRAME_BYTES + 1));
    expect(await early.closed).toBe(4003);
    expect(early.of('error')[0]).toMatchObject({ code: 'too_large' });
    await new Promise((r) => setTimeout(r, 300));

    expect(snapshotDiff(before, await snapshotDb(getDb().db))).toEqual([]);
    // the farm still works: d2's agent reports its job, and it counts
    b.result(theirs);
    await b.until(() => b.of('ack').length === 1, 'the ack of a real result');
    expect(b.of('ack')[0]).toMatchObject({ jobId: theirs.jobId, stored: true });
    expect((await farm.measurements('device=d2')).map((m) => m.jobId)).toEqual([Number(theirs.jobId)]);
  }, 120_000);
});
