/**
 * The simulator is a device the real adb server (Debian's adb 29) accepts: adbkit and the adb
 * command line both use it through a private adb server.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adb, bounded, deviceRequest, shell } from '../../../agents/android/adb';
import { parseCondition } from '../../../agents/android/device-info';
import { attachPhone, startTestAdbServer, waitForState, type TestAdbServer, type TestPhone } from './helpers/adb-harness';

const adbCli = (port: number, args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile('adb', ['-P', String(port), ...args], { timeout: 30_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` })),
  );

describe('android-sim behind the real adb server', () => {
  let adb: TestAdbServer;
  let phone: TestPhone;

  beforeAll(async () => {
    adb = await startTestAdbServer();
    phone = await attachPhone(adb, { profileName: 'galaxy-a54', serial: 'SIMTEST42' });
  }, 60_000);
  afterAll(async () => {
    await phone?.stop();
    await adb?.stop();
  });

  it('is listed as a device with its banner (adb devices -l)', async () => {
    const devices = await bounded(adb.client.listDevices(), 'devices', 5_000);
    expect(devices).toContainEqual({ id: phone.serial, type: 'device' });
    const cli = await adbCli(adb.port, ['devices', '-l']);
    expect(cli.out).toMatch(new RegExp(`${phone.serial.replace(/\./g, '\\.')}\\s+device product:a54xnsxx model:SM_A546B device:a54x`));
  });

  it('answers getprop, shell commands, features and waitBootComplete from its profile', async () => {
    const props = await bounded(phone.device.getProperties(), 'getprop', 10_000);
    expect(props).toMatchObject({ 'ro.product.model': 'SM-A546B', 'ro.serialno': 'SIMTEST42', 'ro.soc.model': 'S5E8835', 'ro.build.version.sdk': '34' });
    expect(await shell(phone.device, 'echo "a b"  c; false; echo rc=$?; true && echo yes || echo no; ls /nope 2>/dev/null; echo rc=$?')).toBe('a b c\nrc=1\nyes\nrc=1\n');
    const features: Record<string, string | boolean> = await bounded(phone.device.getFeatures(), 'features', 10_000);
    expect(features['android.hardware.wifi']).toBe(true);
    expect(features.reqGlEsVersion).toBe('0x30002');
    expect(await bounded(phone.device.waitBootComplete(), 'boot', 10_000)).toBe(true);
    expect(await shell(phone.device, 'for f in /sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq; do cat $f; done | head -n 5 | tail -n 2')).toBe('2002000\n2400000\n');
    expect(await shell(phone.device, 'grep -c processor /proc/cpuinfo; nproc; taskset f0 nproc')).toBe('processor\t: 0\nprocessor\t: 1\nprocessor\t: 2\nprocessor\t: 3\nprocessor\t: 4\nprocessor\t: 5\nprocessor\t: 6\nprocessor\t: 7\n8\n4\n');
    expect(await shell(phone.device, 'echo hi > /system/x; echo rc=$?')).toMatch(/can't create \/system\/x: Permission denied\nrc=1/);
    const cond = parseCondition(await shell(phone.device, 'dumpsys battery; echo ===thermal; dumpsys thermalservice'));
    expect(cond).toMatchObject({ batteryLevel: 64, thermalStatus: 0, plugged: true });
    expect(cond.batteryTempC).toBeGreaterThan(25);
    // svc power stayon / settings, as the agent uses them
    expect(await shell(phone.device, 'settings get global stay_on_while_plugged_in; svc power stayon usb; settings get global stay_on_while_plugged_in; settings get system nope')).toBe('0\n2\nnull\n');
  });

  it('sync: push (streamed, larger than one packet), stat, readdir and pull round-trip the bytes', async () => {
    const data = randomBytes(700_000);
    const chunks = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
    const transfer: import('node:events').EventEmitter = await bounded(phone.device.push(Readable.from(chunks), '/data/local/tmp/t/blob.bin', 0o640), 'push', 30_000);
    await new Promise<void>((resolve, reject) => (transfer.on('end', resolve), transfer.on('error', reject)));
    const st: import('node:fs').Stats = await bounded(phone.device.stat('/data/local/tmp/t/blob.bin'), 'stat', 10_000);
    expect(st.size).toBe(data.length);
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.isFile()).toBe(true);
    const entries: Array<{ name: string }> = await bounded(phone.device.readdir('/data/local/tmp/t'), 'readdir', 10_000);
    expect(entries.map((e) => e.name)).toEqual(['blob.bin']);
    const pulled = await bounded(phone.device.pull('/data/local/tmp/t/blob.bin'), 'pull', 10_000);
    const back: Buffer = await bounded(Adb.util.readAll(pulled as unknown as import('node:stream').Duplex), 'read', 30_000);
    expect(Buffer.compare(back, data)).toBe(0);
    expect(await shell(phone.device, 'sha256sum /data/local/tmp/t/blob.bin')).toContain(createHash('sha256').update(data).digest('hex'));
    await expect(bounded(phone.device.stat('/data/local/tmp/t/missing'), 'stat', 10_000)).rejects.toThrow(/ENOENT/);
    const missing: import('node:events').EventEmitter = await bounded(phone.device.pull('/proc/nope'), 'pull', 10_000);
    await expect(new Promise((resolve, reject) => (missing.on('error', reject), missing.on('end', resolve)))).rejects.toThrow(/open failed: No such file or directory/);
  });

  it('the adb command line: shell, push and pull (STAT/SEND/RECV/QUIT), reverse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofa-adb-cli-'));
    writeFileSync(join(dir, 'f.txt'), 'hello phone\n');
    const s = ['-s', phone.serial];
    expect((await adbCli(adb.port, [...s, 'shell', 'getprop', 'ro.product.manufacturer'])).out).toBe('samsung\n');
    expect((await adbCli(adb.port, [...s, 'push', join(dir, 'f.txt'), '/sdcard/f.txt'])).code).toBe(0);
    expect((await adbCli(adb.port, [...s, 'pull', '/sdcard/f.txt', join(dir, 'g.txt')])).code).toBe(0);
    expect(readFileSync(join(dir, 'g.txt'), 'utf8')).toBe('hello phone\n');
    expect((await adbCli(adb.port, [...s, 'reverse', 'tcp:8081', 'tcp:9091'])).code).toBe(0);
    expect((await adbCli(adb.port, [...s, 'reverse', '--list'])).out).toContain('tcp:8081 tcp:9091');
    expect((await adbCli(adb.port, [...s, 'reverse', '--remove', 'tcp:8081'])).code).toBe(0);
    expect((await adbCli(adb.port, [...s, 'reverse', '--remove', 'tcp:8081'])).out).toMatch(/listener 'tcp:8081' not found/);
  });

  it('reverse through adbkit, and killforward-all as a raw request', async () => {
    expect(await bounded(phone.device.reverse('tcp:8080', 'tcp:3000'), 'reverse', 10_000)).toBe(true);
    expect(await bounded(phone.device.reverse('tcp:8082', 'tcp:3002'), 'reverse', 10_000)).toBe(true);
    expect(await bounded(phone.device.listReverses(), 'list', 10_000)).toEqual([
      { remote: 'tcp:8080', local: 'tcp:3000' },
      { remote: 'tcp:8082', local: 'tcp:3002' },
    ]);
    expect(await deviceRequest({ port: adb.port }, phone.serial, 'reverse:killforward-all')).toBe('OKAY');
    expect(await bounded(phone.device.listReverses(), 'list', 10_000)).toEqual([]);
  });

  it('refuses services it does not simulate, and kills processes by pid', async () => {
    await expect(bounded(phone.device.openTcp(4444), 'tcp', 10_000)).rejects.toThrow();
    let seen = '';
    const long = shell(phone.device, `sh -c 'echo pid=$$; exec sleep 60'; echo rc=$?`, { timeoutMs: 30_000, onData: (chunk) => (seen += chunk) });
    const deadline = Date.now() + 10_000;
    while (!/pid=\d+\n/.test(seen) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const pid = /pid=(\d+)/.exec(seen)![1];
    expect(await shell(phone.device, `kill -9 ${pid}; echo rc=$?`)).toBe('rc=0\n');
    expect(await long).toBe(`pid=${pid}\nrc=137\n`);
    expect(await shell(phone.device, `kill -9 ${pid}; echo rc=$?`)).toMatch(/No such process\nrc=1/);
  });

  it('adb disconnect removes it at once; a new adb connect brings it back', async () => {
    await bounded(adb.client.disconnect(phone.sim.host, phone.sim.port), 'disconnect', 10_000);
    await waitForState(adb.client, phone.serial, null, 5_000);
    await bounded(adb.client.connect(phone.sim.host, phone.sim.port), 'connect', 15_000);
    await waitForState(adb.client, phone.serial, 'device', 15_000);
    expect(await shell(phone.device, 'getprop ro.serialno')).toBe('SIMTEST42\n');
  });
});
