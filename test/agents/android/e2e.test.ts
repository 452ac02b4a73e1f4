/**
 * The end-to-end test: the real adb server (Debian's adb, on a private port) + the
 * simulated phone + the Android host agent + the coordinator. The phone enrolls with its
 * profile's specs, a native-mode sweep stores measurements, and disconnecting the phone marks it
 * offline and returns its job to the queue, to be measured once the phone is back.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bounded } from '../../../agents/android/adb';
import { start, type RunningAndroidAgent } from '../../../agents/android/main';
import { jobs } from '../../../db/schema/jobs';
import { describeEachDb } from '../../helpers/databases';
import { eventually, TestFarm } from '../../server/support/test-farm';
import { attachPhone, standInRunner, startTestAdbServer, waitForState, type TestAdbServer, type TestPhone } from './helpers/adb-harness';

const SETTINGS = { warmupRuns: 3, warmupMinMs: 20, runs: 12, minTimedMs: 40, maxCv: 1, maxRemeasures: 0, threads: 1 };

describeEachDb('android agent end to end (adb server + simulated phone + coordinator)', (getDb) => {
  let farm: TestFarm;
  let adb: TestAdbServer;
  let phone: TestPhone;
  let agent: RunningAndroidAgent | null = null;
  const logs: string[] = [];

  beforeEach(async () => {
    farm = await TestFarm.start(getDb(), { leaseMs: 30_000, offlineAfterMs: 5_000 });
    adb = await startTestAdbServer();
    phone = await attachPhone(adb, { profileName: 'pixel-7' });
  }, 60_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- agent log\n${logs.join('')}--- coordinator log\n${farm?.logs.join('\n')}\n`);
    logs.length = 0;
    await agent?.stop('test over');
    agent = null;
    await phone?.stop();
    await adb?.stop();
    await farm?.stop();
  }, 60_000);

  const startAgent = async (serials: string[] = [], server?: string) => {
    const enroll = await farm.api('POST', '/api/enrollment-tokens', { label: 'android e2e', maxUses: 5 });
    expect(enroll.status).toBe(201);
    const cache = mkdtempSync(join(tmpdir(), 'ofa-android-agent-'));
    agent = await start(
      {
        server: server ?? farm.url,
        enrollToken: enroll.body.token,
        adbPort: adb.port,
        serials,
        runner: standInRunner(),
        runnerVersion: 'android-sim stand-in',
        cores: '6-7',
        tokenFile: join(cache, 'phones.json'),
        cacheDir: cache,
        coolWaitMs: 10_000,
        coolPollMs: 500,
        logLevel: 'debug',
      },
      { writeLog: (line) => logs.push(line) },
    );
    return enroll.body.token as string;
  };

  const deviceNamed = async (name: string) => (await farm.api('GET', `/api/devices/${name}`)).body.device;

  it('enrolls the phone with its specs, measures a native sweep, and re-queues the job of an unplugged phone', async () => {
    const enrollToken = await startAgent();
    const name = 'pixel-7-simpx7a0001';
    const device = await eventually(async () => {
      const d = (await farm.api('GET', `/api/devices/${name}`)).body.device;
      return d?.status === 'online' && d.description ? d : undefined;
    }, 'the phone to enroll and come online', 30_000);
    expect(device.kind).toBe('android');
    expect(device.description).toMatchObject({
      model: 'Google Pixel 7',
      cores: 8,
      memoryBytes: 7869792 * 1024,
      os: 'Android 14 (SDK 34)',
      runtime: 'onnxruntime_perf_test',
      runtimeVersion: 'android-sim stand-in',
      specs: { serial: 'SIMPX7A0001', manufacturer: 'Google', model: 'Pixel 7', soc: 'Google GS201', abi: 'arm64-v8a', androidVersion: '14', sdk: 34, board: 'panther', simulated: true, simSlowdown: 1.5 },
    });
    expect(device.description.cpu).toBe('Google GS201 (2x Cortex-X1 @ 2.85 GHz, 2x Cortex-A78 @ 2.35 GHz, 4x Cortex-A55 @ 1.80 GHz)');
    expect(device.description.specs.cpuMaxKhz).toBe('1803000,1803000,1803000,1803000,2348000,2348000,2850000,2850000');
    expect(logs.join('')).not.toContain(enrollToken);

    // A native sweep: three subnets measured on the phone, stored with provenance.
    const sweep = await farm.startSweep({ device: name, count: 3, anchorEvery: 0, settings: SETTINGS });
    const done = await farm.waitSweep(sweep.id, ['done'], 120_000);
    expect(done.progress).toMatchObject({ total: 3, done: 3, failed: 0 });
    const stored = await farm.measurements(`device=${name}&samples=1`);
    expect(stored).toHaveLength(3);
    for (const measurement of stored) {
      expect(['ok', 'unstable']).toContain(measurement.status);
      expect(measurement.runs).toBeGreaterThanOrEqual(12);
      expect(measurement.samplesMs.length).toBe(measurement.runs);
      expect(measurement.medianMs).toBeGreaterThan(0);
      expect(measurement.provenance).toMatchObject({ runtime: 'onnxruntime_perf_test', executionProvider: 'cpu', threads: 1 });
      expect(measurement.provenance.warmupRuns).toBeGreaterThanOrEqual(3);
      expect(measurement.provenance.extra).toMatchObject({ serial: 'SIMPX7A0001', pinnedCores: '6,7', tasksetMask: 'c0', simulated: true, simSlowdown: 1.5, batteryLevel: 86, thermalStatus: 0, cooledDown: true });
      expect(measurement.provenance.extra.batteryTempC).toBeGreaterThan(20);
    }
    // The runner went over adb once: its hash was checked before the push and after it, never again.
    expect(phone.sim.device.history.filter((c) => c.startsWith('sha256sum /data/local/tmp/ofa-farm/onnxruntime_perf_test')).length).toBe(2);
    expect(phone.sim.device.history.filter((c) => /^sha256sum \/data\/local\/tmp\/ofa-farm\/models\/[0-9a-f]{64}\.onnx/.test(c)).length).toBe(6);
    expect(phone.sim.device.history.some((c) => /svc power stayon true/.test(c))).toBe(true);
    expect(phone.sim.device.settings.global.get('stay_on_while_plugged_in')).toBe('0');

    // Unplug while a long job runs: the device goes offline and the job goes back to the queue.
    const long = await farm.startSweep({ device: name, count: 1, anchorEvery: 0, settings: { ...SETTINGS, minTimedMs: 6_000, maxRuns: 1_000_000 } });
    const jobRow = async () => (await getDb().db.select().from(jobs).where(eq(jobs.sweepId, long.id)))[0];
    await eventually(async () => (await jobRow())?.status === 'leased' && (await deviceNamed(name)).status === 'busy', 'the long job to be leased', 30_000);
    await eventually(async () => phone.sim.device.history.some((c) => c.includes(' -v ')) || undefined, 'the timed pass to start', 30_000).catch(() => {});
    await bounded(adb.client.disconnect(phone.sim.host, phone.sim.port), 'adb disconnect', 10_000);
    await waitForState(adb.client, phone.serial, null);
    await eventually(async () => (await deviceNamed(name)).status === 'offline', 'the phone to be offline', 20_000);
    const requeued = await eventually(async () => {
      const row = await jobRow();
      return row?.status === 'queued' ? row : undefined;
    }, 'the job to return to the queue', 20_000);
    expect(requeued.attempt).toBe(1);
    expect(await farm.measurements(`device=${name}`)).toHaveLength(3);

    // Plugged back in: the same farm device (stored token), the job leased again and measured.
    await bounded(adb.client.connect(phone.sim.host, phone.sim.port), 'adb connect', 15_000);
    await eventually(async () => (await deviceNamed(name)).status !== 'offline', 'the phone to be back', 30_000);
    const finished = await farm.waitSweep(long.id, ['done'], 120_000);
    expect(finished.progress).toMatchObject({ total: 1, done: 1 });
    expect((await jobRow()).attempt).toBe(2);
    expect((await farm.api('GET', '/api/devices')).body.devices.filter((d: { kind: string }) => d.kind === 'android')).toHaveLength(1);
    expect(logs.join('')).toMatch(/android.phone_gone .*reason="?phone unplugged/);
  }, 300_000);

  it('serves only the phones named with --serial', async () => {
    await startAgent(['SOME-OTHER-PHONE']);
    await eventually(async () => logs.join('').includes('android.phone_skipped') || undefined, 'the phone to be skipped', 30_000);
    expect(logs.join('')).toMatch(/android.phone_skipped .*serial=SIMPX7A0001 reason="not in --serial"/);
    expect((await farm.api('GET', '/api/devices')).body.devices).toEqual([]);
  }, 60_000);

  it('keeps trying to enroll while the coordinator cannot be reached, and stops at once when asked', async () => {
    await startAgent([], 'http://127.0.0.1:9');
    await eventually(async () => logs.join('').includes('android.enroll_retry') || undefined, 'an enrollment retry', 30_000);
    expect(logs.join('')).toMatch(/warn android.enroll_retry .*attempt=1 error="cannot reach the coordinator at http:\/\/127.0.0.1:9\/api\/enroll/);
    const stopping = Date.now();
    await agent!.stop('test over');
    agent = null;
    expect(Date.now() - stopping).toBeLessThan(5_000);
  }, 60_000);
});
