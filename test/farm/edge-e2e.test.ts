import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { runCli, spawnCli } from '../helpers/cli';
import { ADMIN, FarmProcesses, QUICK_SETTINGS } from './support/farm-processes';

/** Every job of a sweep ended measured exactly once: one counted row per job, no job twice. */
function expectMeasuredOnce(rows: any[], jobs: number): void {
  const counted = rows.filter((m) => m.counted);
  expect(counted).toHaveLength(jobs);
  expect(new Set(counted.map((m) => m.jobId)).size).toBe(jobs);
}

describeEachDb('farm end to end: coordinator, edge agent process, onnxruntime-node', (getDb) => {
  let farm: FarmProcesses;
  beforeEach(async () => {
    const db = getDb();
    if (db.kind === 'postgres') await db.reset();
    farm = new FarmProcesses(db.kind === 'postgres' ? db.url : null);
    await farm.startServer();
  });
  afterEach(async () => {
    await farm.stopAll();
  });

  const cli = (args: string[]) => runCli([...args, '--server', farm.url, '--admin-token', ADMIN]);

  it('measures a sweep on a real edge agent and stores the distributions with provenance', async () => {
    const added = await cli(['device', 'add', '--name', 'edge-1', '--kind', 'edge', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const { token } = JSON.parse(added.stdout);
    farm.startAgent(token);
    const started = await cli(['sweep', 'start', '--device', 'edge-1', '--space', 'ofa-mbv3-mini', '--count', '2', '--seed', '3', '--anchor-every', '2', '--runs', '5', '--warmup', '1', '--min-time-ms', '0', '--max-cv', '10', '--threads', '1', '--detach', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const sweep = JSON.parse(started.stdout);
    expect(sweep.progress.total).toBe(4); // anchor, 2 subnets, anchor
    const done = await farm.waitSweep(sweep.id, (s) => s.state === 'done', 'the sweep to finish');
    expect(done.progress).toMatchObject({ done: 4, failed: 0 });

    const listed = await cli(['measurements', '--device', 'edge-1', '--format', 'jsonl']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expectMeasuredOnce(rows, 4);
    for (const m of rows) {
      expect(['ok', 'unstable']).toContain(m.status);
      expect(m.runs).toBeGreaterThanOrEqual(5);
      expect(m.medianMs).toBeGreaterThan(0);
      expect(m.minMs).toBeLessThanOrEqual(m.medianMs);
      expect(m.p90Ms).toBeGreaterThanOrEqual(m.medianMs);
      expect(m.provenance).toMatchObject({ runtime: 'onnxruntime-node', executionProvider: 'cpu', threads: 1, inputShape: [1, 1, m.r, m.r] });
      expect(m.provenance.runtimeVersion).toMatch(/^\d+\.\d+/);
      expect(m.provenance.clockSource).toBeTruthy();
      expect(m.macs).toBeGreaterThan(0);
    }
    expect(rows.filter((m) => m.anchor)).toHaveLength(2);
    expect(new Set(rows.filter((m) => m.anchor).map((m) => m.subnetId)).size).toBe(1);

    const devices = await cli(['device', 'list', '--json']);
    const device = JSON.parse(devices.stdout.trim());
    expect(device).toMatchObject({ name: 'edge-1', measurementCount: 4, failedCount: 0 });
    expect(['online', 'busy']).toContain(device.status);
    expect(device.description).toMatchObject({ runtime: 'onnxruntime-node', threads: 1 });
    expect(device.description.cores).toBeGreaterThan(0);
    const csv = await cli(['measurements', '--device', 'edge-1', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).toContain('median ms');
    expect(csv.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('re-leases the job of an agent killed mid-job and measures it once', async () => {
    const token = await farm.addDevice('edge-1');
    const first = farm.startAgent(token, 'first');
    // long enough measurements that the kill lands inside one
    const settings = { ...QUICK_SETTINGS, maxRuns: 1_000_000, minTimedMs: 4000 };
    const sweep = (await farm.api('POST', '/api/sweeps', { device: 'edge-1', space: 'ofa-mbv3-mini', count: 2, seed: 5, anchorEvery: 0, settings })).body.sweep;
    await farm.waitSweep(sweep.id, (s) => s.progress.leased === 1, 'a job to be leased');
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await first.exited;
    farm.startAgent(token, 'second');
    const done = await farm.waitSweep(sweep.id, (s) => s.state === 'done', 'the sweep to finish');
    expect(done.progress).toMatchObject({ done: 2, failed: 0 });
    const rows = (await farm.api('GET', `/api/measurements?sweep=${sweep.id}&uncounted=1`)).body.measurements;
    expectMeasuredOnce(rows, 2);
    expect(rows.map((m: any) => m.attempt).sort()).toEqual([1, 2]);
  }, 180_000);

  it('finishes a sweep across a coordinator restart with nothing lost or doubled', async () => {
    const token = await farm.addDevice('edge-1');
    farm.startAgent(token);
    const settings = { ...QUICK_SETTINGS, maxRuns: 1_000_000, minTimedMs: 700 };
    const sweep = (await farm.api('POST', '/api/sweeps', { device: 'edge-1', space: 'ofa-mbv3-mini', count: 5, seed: 9, anchorEvery: 0, settings })).body.sweep;
    await farm.waitSweep(sweep.id, (s) => s.progress.done >= 1, 'the first result');
    const port = Number(new URL(farm.url).port);
    await farm.stopServer('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await farm.startServer(port);
    const done = await farm.waitSweep(sweep.id, (s) => s.state === 'done', 'the sweep to finish after the restart');
    expect(done.progress).toMatchObject({ total: 5, done: 5, failed: 0 });
    const rows = (await farm.api('GET', `/api/measurements?sweep=${sweep.id}&uncounted=1`)).body.measurements;
    expectMeasuredOnce(rows, 5);
  }, 180_000);

  it('an agent with a wrong token stops with a clear message', async () => {
    const run = await spawnCli(['agent', 'edge', '--server', farm.url, '--cache', `${farm.home}/cache-bad`], { env: { OFA_FARM_DEVICE_TOKEN: 'ofad_wrong' }, timeoutMs: 60_000 });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('device token is not valid');
    expect((await farm.api('GET', '/api/health')).status).toBe(200);
  });
});
