/** Thermal and power hygiene through adb, on a simulated phone that starts hot and cools fast. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shell } from '../../../agents/android/adb';
import { describeClusters, parseDeviceFacts, parseGetprop, toDeviceDescription } from '../../../agents/android/device-info';
import { keepAwake, readCondition, waitUntilCool } from '../../../agents/android/hygiene';
import { loadProfile } from '../../../agents/android/sim/profile';
import { DeviceDescription } from '../../../core/protocol';
import { attachPhone, startTestAdbServer, type TestAdbServer, type TestPhone } from './helpers/adb-harness';

describe('thermal and power hygiene over adb', () => {
  let adb: TestAdbServer;
  let phone: TestPhone;

  beforeAll(async () => {
    adb = await startTestAdbServer();
    const base = loadProfile('pixel-7');
    // Starts at 50 °C (thermal status 4) and cools with a 2 s time constant.
    phone = await attachPhone(adb, { profile: { ...base, thermal: { ...base.thermal, ambientC: 25, coolTimeConstantS: 2 } }, startTempC: 50 });
  }, 60_000);
  afterAll(async () => {
    await phone?.stop();
    await adb?.stop();
  });

  it('reads battery temperature, level and thermal status from dumpsys', async () => {
    const c = await readCondition(phone.device);
    expect(c.thermalStatus).toBeGreaterThanOrEqual(2);
    expect(c.batteryTempC).toBeGreaterThan(40);
    expect(c.batteryLevel).toBe(86);
    expect(c.plugged).toBe(true);
  });

  it('waits, bounded, until the phone is cool; gives up after waitMaxMs and says so', async () => {
    const gaveUp = await waitUntilCool(phone.device, { maxBatteryC: 40, maxThermalStatus: 1, waitMaxMs: 300, pollMs: 100 }, new AbortController().signal);
    expect(gaveUp.cool).toBe(false);
    expect(gaveUp.waitedMs).toBeGreaterThanOrEqual(300);
    const waits: number[] = [];
    const cooled = await waitUntilCool(phone.device, { maxBatteryC: 40, maxThermalStatus: 1, waitMaxMs: 30_000, pollMs: 200 }, new AbortController().signal, (c) => waits.push(c.thermalStatus ?? -1));
    expect(cooled.cool).toBe(true);
    expect(cooled.waitedMs).toBeGreaterThan(0);
    expect(waits).toHaveLength(1);
    expect(cooled.condition.batteryTempC).toBeLessThanOrEqual(40);
    expect(cooled.condition.thermalStatus).toBeLessThanOrEqual(1);
    const controller = new AbortController();
    phone.sim.device.thermal.set(55);
    const aborted = waitUntilCool(phone.device, { maxBatteryC: 30, maxThermalStatus: 0, waitMaxMs: 60_000, pollMs: 100 }, controller.signal);
    setTimeout(() => controller.abort(new Error('stop waiting')), 200);
    await expect(aborted).rejects.toThrow(/stop waiting/);
  });

  it('keeps the screen on while measuring and restores the setting', async () => {
    await shell(phone.device, 'settings put global stay_on_while_plugged_in 1; input keyevent KEYCODE_SLEEP');
    expect(phone.sim.device.screenOn).toBe(false);
    const restore = await keepAwake(phone.device, new AbortController().signal, () => {});
    expect(phone.sim.device.settings.global.get('stay_on_while_plugged_in')).toBe('7');
    expect(phone.sim.device.screenOn).toBe(true);
    await restore();
    expect(phone.sim.device.settings.global.get('stay_on_while_plugged_in')).toBe('1');
  });

  it('reads the specs a farm device is registered with', async () => {
    const facts = phone.facts;
    expect(facts.serial).toBe('SIMPX7A0001');
    expect(facts.cores.map((c) => c.name)).toEqual([...Array(4).fill('Cortex-A55'), 'Cortex-A78', 'Cortex-A78', 'Cortex-X1', 'Cortex-X1']);
    expect(describeClusters(facts.cores)).toBe('2x Cortex-X1 @ 2.85 GHz, 2x Cortex-A78 @ 2.35 GHz, 4x Cortex-A55 @ 1.80 GHz');
    const description = DeviceDescription.parse(toDeviceDescription(facts, { runtime: 'onnxruntime_perf_test', runtimeVersion: 'x', executionProviders: ['cpu'], threads: null }));
    expect(description).toMatchObject({ model: 'Google Pixel 7', cores: 8, os: 'Android 14 (SDK 34)' });
    expect(description.specs.kernel).toMatch(/^Linux version 5\.10\.198-android13/);
  });
});

describe('device facts from text', () => {
  it('getprop values may span lines; cpufreq pairs are read per CPU; missing sections are absent', () => {
    expect(parseGetprop('[a]: [1]\r\n[b.c]: [two\nlines]\n[empty]: []\n')).toEqual({ a: '1', 'b.c': 'two\nlines', empty: '' });
    const facts = parseDeviceFacts('emulator-5554', '[ro.product.model]: [X]\n===cpufreq\n/sys/devices/system/cpu/cpu1/cpufreq/cpuinfo_max_freq\n2000000\n/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq\n1000000\n');
    expect(facts).toMatchObject({ serial: 'emulator-5554', memTotalBytes: null, kernel: null, simulated: false });
    expect(facts.cores).toEqual([
      { index: 0, part: null, name: null, maxKhz: 1000000 },
      { index: 1, part: null, name: null, maxKhz: 2000000 },
    ]);
  });
});
