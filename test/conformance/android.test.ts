import { afterAll, beforeAll } from 'vitest';
import { createAndroidBackend, describeRunner, type RunnerInfo } from '../../agents/android/backend';
import { attachPhone, standInRunner, startTestAdbServer, type TestAdbServer, type TestPhone } from '../agents/android/helpers/adb-harness';
import { describeBackendConformance } from './device-backend.case';

// The android backend against a simulated phone behind the real adb server (Debian's adb 29).
let adb: TestAdbServer;
let phone: TestPhone;
let runner: RunnerInfo;

beforeAll(async () => {
  adb = await startTestAdbServer();
  phone = await attachPhone(adb, { profileName: 'pixel-7' });
  runner = await describeRunner(standInRunner(), 'android-sim stand-in');
}, 60_000);

afterAll(async () => {
  await phone?.stop();
  await adb?.stop();
});

describeBackendConformance(
  'android (onnxruntime_perf_test over adb, simulated Pixel 7)',
  () =>
    createAndroidBackend({
      device: phone.device,
      facts: phone.facts,
      runner,
      cores: [6, 7],
      threads: 1,
      thermal: { maxBatteryC: 45, maxThermalStatus: 2, waitMaxMs: 10_000, pollMs: 500 },
    }),
  { timeoutMs: 90_000, abortWithinMs: 10_000 },
);
