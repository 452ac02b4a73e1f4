/**
 * Parsing for the edge agent: its configuration (zod, from flags/env collected by the entry
 * point) and the host facts it reports (/proc/cpuinfo, /etc/os-release, onnxruntime's backends).
 */
import { z } from 'zod';

export const EdgeAgentConfig = z.object({
  server: z
    .string()
    .url('--server must be a URL such as http://127.0.0.1:7070')
    .refine((s) => /^https?:\/\//.test(s), '--server must start with http:// or https://'),
  token: z.string().min(1, 'a device token is required (--token or OFA_FARM_DEVICE_TOKEN)').max(500),
  /** Intra-op threads; a job's settings.threads overrides it. Default: every core. */
  threads: z.number().int().min(1).max(1024).optional(),
  cacheDir: z.string().min(1),
  /** Same-host key; default: the hostname. */
  host: z.string().min(1).max(200).optional(),
  /** How long a running job may finish after SIGINT/SIGTERM before it is released. */
  graceMs: z.number().int().min(0).max(600_000).default(5_000),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  agentVersion: z.string().max(100).optional(),
});
export type EdgeAgentConfig = z.infer<typeof EdgeAgentConfig>;
export type EdgeAgentConfigInput = z.input<typeof EdgeAgentConfig>;

export interface CpuInfo {
  model: string | null;
  mhz: number | null;
  /** Distinct (physical id, core id) pairs; null when the file does not say. */
  physicalCores: number | null;
  /** The SIMD extensions that matter for onnxruntime's CPU kernels. */
  simd: string[];
}

const SIMD_FLAGS = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_tile', 'neon', 'asimd', 'asimddp', 'sve'];

/** Reads /proc/cpuinfo text (x86 or ARM). */
export function parseCpuInfo(text: string): CpuInfo {
  let model: string | null = null;
  let mhz: number | null = null;
  const cores = new Set<string>();
  const flags = new Set<string>();
  let physical = '0';
  for (const line of text.split('\n')) {
    const sep = line.indexOf(':');
    if (sep < 0) continue;
    const key = line.slice(0, sep).trim().toLowerCase();
    const value = line.slice(sep + 1).trim();
    if ((key === 'model name' || key === 'hardware' || key === 'cpu model') && !model && value) model = value;
    else if (key === 'cpu mhz' && mhz === null && Number.isFinite(Number(value))) mhz = Number(value);
    else if (key === 'physical id') physical = value;
    else if (key === 'core id') cores.add(`${physical}:${value}`);
    else if (key === 'flags' || key === 'features') value.split(/\s+/).forEach((f) => flags.add(f));
  }
  return { model, mhz, physicalCores: cores.size > 0 ? cores.size : null, simd: SIMD_FLAGS.filter((f) => flags.has(f)) };
}

/** PRETTY_NAME of /etc/os-release, e.g. "Debian GNU/Linux 12 (bookworm)". */
export function parseOsRelease(text: string): string | null {
  const match = /^PRETTY_NAME=(.*)$/m.exec(text);
  if (!match) return null;
  return match[1].trim().replace(/^["']|["']$/g, '') || null;
}

export interface OrtBackendInfo {
  name: string;
  bundled: boolean;
}

/** Execution providers onnxruntime-node ships on this box (bundled), CPU first. */
export function availableProviders(backends: readonly OrtBackendInfo[]): string[] {
  const names = backends.filter((b) => b.bundled).map((b) => b.name);
  return ['cpu', ...names.filter((n) => n !== 'cpu')];
}

/** e.g. "cpu, webgpu, cuda (not bundled)" for the device's specs. */
export function describeBackends(backends: readonly OrtBackendInfo[]): string {
  return backends.map((b) => (b.bundled ? b.name : `${b.name} (not bundled)`)).join(', ');
}
