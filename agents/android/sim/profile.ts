/**
 * A simulated phone, as data: system properties, CPU clusters, memory, battery, thermal
 * behaviour and how the stand-in benchmark tool behaves. Profiles are JSON files validated here;
 * `profiles/` ships realistic ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors';

const Cluster = z.object({
  /** Core name for humans and /proc/cpuinfo comments, e.g. "Cortex-A55". */
  name: z.string().min(1).max(100),
  count: z.number().int().min(1).max(64),
  /** ARM MIDR part number as /proc/cpuinfo prints it, e.g. "0xd05". */
  part: z.string().regex(/^0x[0-9a-f]{3}$/),
  implementer: z.string().regex(/^0x[0-9a-f]{2}$/).default('0x41'),
  variant: z.string().regex(/^0x[0-9a-f]$/).default('0x1'),
  revision: z.number().int().min(0).max(15).default(0),
  minKhz: z.number().int().positive(),
  maxKhz: z.number().int().positive(),
  /** Speed relative to the fastest cluster (1 = fastest); used when work is pinned with taskset. */
  relativeSpeed: z.number().positive().max(1),
});

const Thermal = z.object({
  ambientC: z.number().min(-20).max(60).default(25),
  startC: z.number().min(-20).max(100).default(30),
  /** Degrees per second gained while the benchmark tool runs (before cooling). */
  heatCPerSecond: z.number().min(0).max(20).default(0.5),
  /** Newton cooling towards ambient: time constant in seconds. */
  coolTimeConstantS: z.number().positive().max(100_000).default(90),
  maxC: z.number().min(0).max(150).default(60),
  /** Skin temperatures at which the thermal status becomes 1 (light) .. 6 (shutdown). */
  statusThresholdsC: z.array(z.number()).length(6).default([39, 42, 45, 48, 52, 56]),
  /** Extra slowdown applied from this thermal status upwards (throttling). */
  throttleFromStatus: z.number().int().min(1).max(6).default(2),
  throttleFactor: z.number().min(1).max(10).default(1.3),
});

const PerfTest = z.object({
  /**
   * How much slower than the host the simulated phone is: each timed run lasts `slowdown` times
   * as long as the same run on the host (the simulator waits out the difference).
   */
  slowdown: z.number().min(1).max(100).default(1),
  /** Output layout: 2020 (`cost:x`, no warm-up line), 2023 (current), 2025 (`cost total:`). */
  format: z.enum(['2020', '2023', '2025']).default('2023'),
  /** Execution providers the stand-in accepts with -e (it always runs on the host CPU). */
  providers: z.array(z.string()).default(['cpu']),
});

export const SimProfile = z.object({
  name: z.string().min(1).max(100),
  description: z.string().max(2000).default(''),
  serial: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  /** getprop answers. ro.serialno is filled from `serial`. */
  props: z.record(z.string(), z.string()),
  clusters: z.array(Cluster).min(1).max(8),
  memory: z.object({ totalKb: z.number().int().positive(), availableKb: z.number().int().positive() }),
  kernel: z.string().max(500).default('Linux version 5.10.0-android (simulated)'),
  features: z.array(z.string().max(200)).default([]),
  battery: z
    .object({
      level: z.number().int().min(0).max(100).default(80),
      plugged: z.enum(['ac', 'usb', 'wireless', 'none']).default('usb'),
      voltageMv: z.number().int().positive().default(4100),
      technology: z.string().default('Li-ion'),
    })
    .default({ level: 80, plugged: 'usb', voltageMv: 4100, technology: 'Li-ion' }),
  thermal: Thermal.default(Thermal.parse({})),
  perfTest: PerfTest.default(PerfTest.parse({})),
  settings: z
    .object({ global: z.record(z.string(), z.string()).default({}), system: z.record(z.string(), z.string()).default({}), secure: z.record(z.string(), z.string()).default({}) })
    .default({ global: {}, system: {}, secure: {} }),
  /** Extra read-only files: absolute path -> content. */
  files: z.record(z.string().startsWith('/'), z.string()).default({}),
});
export type SimProfile = z.infer<typeof SimProfile>;

export const PROFILES_DIR = join(import.meta.dirname, 'profiles');
export const DEFAULT_PROFILE = 'pixel-7';

/** Loads a profile by file path, or by the name of a shipped one (`pixel-7`, `galaxy-a54`). */
export function loadProfile(pathOrName: string = DEFAULT_PROFILE): SimProfile {
  const path = /[/\\]|\.json$/.test(pathOrName) ? pathOrName : join(PROFILES_DIR, `${pathOrName}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ValidationError(code === 'ENOENT' ? `profile ${path} does not exist` : `profile ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = SimProfile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`profile ${path}: ${issue.path.join('.') || 'profile'}: ${issue.message}`);
  }
  const profile = parsed.data;
  for (const c of profile.clusters) if (c.minKhz > c.maxKhz) throw new ValidationError(`profile ${path}: cluster ${c.name} has minKhz above maxKhz`);
  return profile;
}

export function cpuCount(profile: SimProfile): number {
  return profile.clusters.reduce((n, c) => n + c.count, 0);
}

/** The cluster of each CPU index, in order (cpu0 first). */
export function cpuClusters(profile: SimProfile): SimProfile['clusters'] {
  return profile.clusters.flatMap((c) => Array.from({ length: c.count }, () => c));
}
