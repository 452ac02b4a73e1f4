/**
 * Real adb for tests: a private adb server on a random port (never 5037, so tests do not fight
 * over it), simulated phones attached with `adb connect`, and cleanup (disconnect, kill-server).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adb, bounded, connectAdbServer, runAdb, shell, type AdbClient, type AdbDevice } from '../../../../agents/android/adb';
import { FACTS_COMMAND, parseDeviceFacts, type DeviceFacts } from '../../../../agents/android/device-info';
import { startAndroidSim, type AndroidSim, type AndroidSimOptions } from '../../../../agents/android/sim/main';
import { loadProfile } from '../../../../agents/android/sim/profile';

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port for a private adb server');
}

export interface TestAdbServer {
  port: number;
  client: AdbClient;
  stop(): Promise<void>;
}

export async function startTestAdbServer(): Promise<TestAdbServer> {
  const port = await freePort();
  const { client, bin } = await connectAdbServer({ port });
  return {
    port,
    client,
    stop: async () => {
      await runAdb(bin ?? 'adb', ['-P', String(port), 'kill-server'], 10_000).catch(() => {});
    },
  };
}

export interface TestPhone {
  sim: AndroidSim;
  serial: string;
  device: AdbDevice;
  facts: DeviceFacts;
  /** `adb disconnect`, then the simulator stops. */
  stop(): Promise<void>;
}

export async function waitForState(client: AdbClient, serial: string, state: string | null, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const devices: Array<{ id: string; type: string }> = await bounded(client.listDevices(), 'adb devices', 5_000);
    const found = devices.find((d) => d.id === serial);
    if (state === null ? !found : found?.type === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${serial} did not become ${state ?? 'absent'} within ${timeoutMs} ms`);
}

export async function attachPhone(adb: TestAdbServer, options: Partial<AndroidSimOptions> & { profileName?: string } = {}): Promise<TestPhone> {
  const sim = await startAndroidSim({ ...options, profile: options.profile ?? loadProfile(options.profileName ?? 'pixel-7') });
  const reply = await bounded(adb.client.connect(sim.host, sim.port), 'adb connect', 15_000);
  if (!String(reply).includes(`${sim.host}:${sim.port}`)) throw new Error(`adb connect said: ${reply}`);
  await waitForState(adb.client, sim.adbSerial, 'device');
  const device = adb.client.getDevice(sim.adbSerial);
  const facts = parseDeviceFacts(sim.adbSerial, await shell(device, FACTS_COMMAND));
  return {
    sim,
    serial: sim.adbSerial,
    device,
    facts,
    stop: async () => {
      await bounded(adb.client.disconnect(sim.host, sim.port), 'adb disconnect', 10_000).catch(() => {});
      await sim.stop();
    },
  };
}

/** A stand-in runner file: the simulator runs its own onnxruntime_perf_test for any file of that name. */
export function standInRunner(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ofa-runner-')), 'onnxruntime_perf_test');
  writeFileSync(path, '#!/system/bin/sh\n# stand-in for onnxruntime_perf_test: the android simulator emulates the tool\n', { mode: 0o755 });
  return path;
}

export { Adb };
