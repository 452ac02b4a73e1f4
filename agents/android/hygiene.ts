/**
 * Thermal and power hygiene around a measurement on a phone: read battery temperature, level and
 * thermal status (`dumpsys`), wait (bounded) until the phone is cool enough, and keep the screen
 * awake while measuring (`svc power stayon`), restoring the user's setting afterwards.
 */
import { sleep } from '../runtime/abort';
import { quote, shell, type AdbDevice } from './adb';
import { CONDITION_COMMAND, parseCondition, type DeviceCondition } from './device-info';

export interface ThermalPolicy {
  /** Wait while the battery is warmer than this (°C). */
  maxBatteryC: number;
  /** Wait while PowerManager's thermal status is above this (0 none, 1 light, 2 moderate...). */
  maxThermalStatus: number;
  /** Give up waiting after this long and measure anyway, recording that the phone was warm. */
  waitMaxMs: number;
  pollMs: number;
}

export const DEFAULT_THERMAL_POLICY: ThermalPolicy = { maxBatteryC: 40, maxThermalStatus: 1, waitMaxMs: 300_000, pollMs: 5_000 };

export async function readCondition(device: AdbDevice, signal?: AbortSignal): Promise<DeviceCondition> {
  return parseCondition(await shell(device, CONDITION_COMMAND, { timeoutMs: 20_000, signal }));
}

export function isCool(c: DeviceCondition, policy: ThermalPolicy): boolean {
  return (c.batteryTempC === null || c.batteryTempC <= policy.maxBatteryC) && (c.thermalStatus === null || c.thermalStatus <= policy.maxThermalStatus);
}

export interface CoolResult {
  condition: DeviceCondition;
  /** The first reading, before any waiting. */
  before: DeviceCondition;
  waitedMs: number;
  cool: boolean;
}

/** Polls the device's condition until it is cool (or the wait is over). Rejects only on abort. */
export async function waitUntilCool(device: AdbDevice, policy: ThermalPolicy, signal: AbortSignal, onWait?: (c: DeviceCondition) => void): Promise<CoolResult> {
  const started = Date.now();
  const before = await readCondition(device, signal);
  let condition = before;
  let announced = false;
  while (!isCool(condition, policy) && Date.now() - started < policy.waitMaxMs) {
    if (!announced) onWait?.(condition);
    announced = true;
    await sleep(Math.min(policy.pollMs, Math.max(0, policy.waitMaxMs - (Date.now() - started))), signal);
    condition = await readCondition(device, signal);
  }
  return { condition, before, waitedMs: Date.now() - started, cool: isCool(condition, policy) };
}

/**
 * Keeps the screen on while plugged in (and wakes it), returning a function that restores the
 * previous `stay_on_while_plugged_in` setting. Failures are reported, never thrown: a phone that
 * refuses still measures.
 */
export async function keepAwake(device: AdbDevice, signal: AbortSignal, warn: (message: string) => void): Promise<() => Promise<void>> {
  let previous: string | null = null;
  try {
    const out = await shell(device, 'settings get global stay_on_while_plugged_in; svc power stayon true; input keyevent KEYCODE_WAKEUP; echo rc=$?', { timeoutMs: 15_000, signal });
    previous = out.split('\n')[0].trim();
    if (!/^\d+$/.test(previous)) previous = null;
  } catch (error) {
    if (signal.aborted) throw error;
    warn(`could not keep the screen awake: ${(error as Error).message}`);
  }
  return async () => {
    if (previous === null) return;
    await shell(device, `settings put global stay_on_while_plugged_in ${quote(previous)}`, { timeoutMs: 15_000 }).catch((error: Error) =>
      warn(`could not restore stay_on_while_plugged_in=${previous}: ${error.message}`),
    );
  };
}
