/** `ofa-farm android-sim` and `ofa-farm agent android` as a user runs them: real processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bounded, shell } from '../../../agents/android/adb';
import { openDb } from '../../../db/client';
import { startCoordinator } from '../../../server/main';
import { BIN, runCli } from '../../helpers/cli';
import { eventually } from '../../server/support/test-farm';
import { standInRunner, startTestAdbServer, waitForState } from './helpers/adb-harness';

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('android CLI commands', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
  });

  it('name bad options with exit code 2', async () => {
    const noToken = await runCli(['agent', 'android', '--server', 'http://127.0.0.1:1']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/an enrollment token is required: --enroll-token T or OFA_FARM_ENROLL_TOKEN/);
    expect((await runCli(['agent', 'android', '--enroll-token', 't', '--mode', 'tablet'])).stderr).toMatch(/--mode must be one of native, chrome, got "tablet"/);
    const cores = await runCli(['agent', 'android', '--enroll-token', 't', '--cores', '7-4']);
    expect(cores.code).toBe(2);
    expect(cores.stderr).toMatch(/--cores: "7-4" is not a valid CPU range/);
    expect((await runCli(['agent', 'android', '--enroll-token', 't', '--mode', 'chrome', '--runner', '/bin/true'])).stderr).toMatch(/--runner is for --mode native/);
    const emulatorPort = await runCli(['android-sim', '--port', '5557']);
    expect(emulatorPort.code).toBe(2);
    expect(emulatorPort.stderr).toMatch(/probes as emulators/);
    const profile = await runCli(['android-sim', '--profile', '/nope/phone.json']);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toMatch(/profile \/nope\/phone.json does not exist/);
    expect((await runCli(['android-sim', '--serial', 'has space'])).stderr).toMatch(/--serial "has space" must be/);
  });

  it('says clearly when adb is missing and no adb server runs', async () => {
    const run = await runCli(['agent', 'android', '--enroll-token', 't', '--adb-port', '9', '--adb', '/nonexistent/adb', '--cache', mkdtempSync(join(tmpdir(), 'ofa-noadb-'))]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/adb is not installed \(no \/nonexistent\/adb on PATH\) and no adb server runs on port 9: install Android's platform tools \(Debian\/Ubuntu: apt install adb\) or pass --adb PATH/);
  });

  it('android-sim --connect attaches to the adb server; agent android enrolls it; both stop cleanly on SIGTERM', async () => {
    const adb = await startTestAdbServer();
    cleanup.push(() => adb.stop());
    const home = mkdtempSync(join(tmpdir(), 'ofa-android-cli-'));
    const db = await openDb({ kind: 'memory' });
    const coordinator = await startCoordinator({ port: 0, home, adminToken: 'admin-token-for-the-android-cli-test' }, { db });
    cleanup.push(async () => (await coordinator.stop(), await db.close()));
    const sim = spawnCli(['android-sim', '--json', '--connect', '--adb-port', String(adb.port), '--serial', 'CLIPHONE1', '--profile', 'galaxy-a54']);
    cleanup.push(async () => sim.child.kill('SIGKILL'));
    const info = await eventually(async () => (sim.stdout().includes('\n') ? JSON.parse(sim.stdout().split('\n')[0]) : undefined), 'the simulator to start', 60_000);
    expect(info).toMatchObject({ serial: 'CLIPHONE1', profile: 'galaxy-a54', model: 'SM-A546B', slowdown: 2.5 });
    await waitForState(adb.client, info.adbSerial, 'device', 20_000);
    expect(await shell(adb.client.getDevice(info.adbSerial), 'getprop ro.serialno')).toBe('CLIPHONE1\n');

    const enroll = await fetch(`${coordinator.url}/api/enrollment-tokens`, { method: 'POST', headers: { authorization: `Bearer ${coordinator.adminToken}`, 'content-type': 'application/json' }, body: '{}' });
    const enrollToken = ((await enroll.json()) as { token: string }).token;
    const cache = mkdtempSync(join(tmpdir(), 'ofa-android-cli-cache-'));
    const agent = spawnCli(['agent', 'android', '--server', coordinator.url, '--adb-port', String(adb.port), '--runner', standInRunner(), '--cache', cache], { OFA_FARM_ENROLL_TOKEN: enrollToken });
    cleanup.push(async () => agent.child.kill('SIGKILL'));
    const device = await eventually(async () => {
      const res = await fetch(`${coordinator.url}/api/devices/sm-a546b-cliphone1`);
      const body = (await res.json()) as { device?: { status: string; description: { cores: number } | null } };
      return body.device?.status === 'online' && body.device.description ? body.device : undefined;
    }, 'the phone to enroll', 60_000);
    expect(device.description?.cores).toBe(8);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(agent.stderr()).not.toContain(enrollToken);
    expect(agent.stderr()).toMatch(/info android.enrolled .*device=sm-a546b-cliphone1/);
    expect(((await (await fetch(`${coordinator.url}/api/devices/sm-a546b-cliphone1`)).json()) as { device: { status: string } }).device.status).toBe('offline');

    sim.child.kill('SIGTERM');
    expect(await sim.exited).toBe(0);
    await waitForState(adb.client, info.adbSerial, null, 10_000);
    expect(await bounded(adb.client.listDevices(), 'devices', 5_000)).toEqual([]);
  }, 180_000);
});
