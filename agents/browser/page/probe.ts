/**
 * What a page can find out about its browser and device: cross-origin isolation, WASM SIMD and
 * threads, WebGPU (adapter) and WebGL, the timer's resolution, and the user agent (with client
 * hints where the browser has them). Every probe is bounded and none throws.
 */
import type { DeviceDescriptionInput } from '../../../core/protocol';
import { clockResolutionMs, performanceClock } from '../../runtime/timing';
import { parseUserAgent, type WebProvider } from '../parse';
import type { GpuAdapterFacts } from './engine-messages';

export interface GpuAdapterLike {
  info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>> & { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

export function adapterFacts(adapter: GpuAdapterLike): GpuAdapterFacts {
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? null,
  };
}

/** "google swiftshader (SwiftShader Device), fallback" */
export function adapterLabel(a: GpuAdapterFacts): string {
  const main = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const detail = a.description || a.device;
  return `${main}${detail ? ` (${detail})` : ''}${a.isFallbackAdapter ? ', software fallback adapter' : ''}`;
}

// The smallest module using a v128 instruction (as in wasm-feature-detect).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Shared WebAssembly memory: what WASM threads need (and only cross-origin isolated pages get). */
export function sharedMemorySupported(): boolean {
  try {
    return typeof SharedArrayBuffer !== 'undefined' && new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise.catch(() => fallback), new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]).finally(() => clearTimeout(timer));
}

export interface WebGpuProbe {
  adapter: GpuAdapterFacts | null;
  /** Why there is no adapter, when there is none. */
  reason: string | null;
}

export async function probeWebGpu(timeoutMs = 5_000): Promise<WebGpuProbe> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return { adapter: null, reason: globalThis.isSecureContext === false ? 'not a secure context (WebGPU needs https or localhost)' : 'this browser has no navigator.gpu' };
  const adapter = await within(gpu.requestAdapter(), timeoutMs, null);
  return adapter ? { adapter: adapterFacts(adapter), reason: null } : { adapter: null, reason: 'navigator.gpu.requestAdapter() found no adapter' };
}

export function webglAvailable(): boolean {
  try {
    if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(1, 1).getContext('webgl2') !== null;
    return typeof document !== 'undefined' && document.createElement('canvas').getContext('webgl2') !== null;
  } catch {
    return false;
  }
}

interface HighEntropy {
  model?: string;
  platform?: string;
  platformVersion?: string;
  architecture?: string;
  bitness?: string;
  fullVersionList?: { brand: string; version: string }[];
}

async function clientHints(): Promise<HighEntropy | null> {
  const data = (navigator as Navigator & { userAgentData?: { getHighEntropyValues(hints: string[]): Promise<HighEntropy> } }).userAgentData;
  if (!data) return null;
  return within(data.getHighEntropyValues(['model', 'platform', 'platformVersion', 'architecture', 'bitness', 'fullVersionList']), 2_000, null);
}

export interface PageEnvironment {
  crossOriginIsolated: boolean;
  secureContext: boolean;
  hardwareConcurrency: number | null;
  deviceMemoryGB: number | null;
  simd: boolean;
  sharedMemory: boolean;
  webgpu: WebGpuProbe;
  webgl: boolean;
  /** performance.now()'s tick in this page: ~0.005 ms when isolated (Chromium), 0.1 ms or more otherwise. */
  timerResolutionMs: number | null;
  userAgent: string;
  browser: string | null;
  os: string | null;
  model: string | null;
  cpu: string | null;
}

export async function probeEnvironment(): Promise<PageEnvironment> {
  const ua = navigator.userAgent;
  const facts = parseUserAgent(ua);
  const [webgpu, hints] = await Promise.all([probeWebGpu(), clientHints()]);
  const brand = hints?.fullVersionList?.find((b) => !/Not.?A.?Brand|^Chromium$|^HeadlessChrome$/i.test(b.brand)) ?? hints?.fullVersionList?.find((b) => b.brand === 'Chromium');
  const hintedOs = hints?.platform ? `${hints.platform}${hints.platformVersion ? ` ${hints.platformVersion}` : ''}` : null;
  const memory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    secureContext: globalThis.isSecureContext === true,
    hardwareConcurrency: navigator.hardwareConcurrency || null,
    deviceMemoryGB: typeof memory === 'number' ? memory : null,
    simd: wasmSimdSupported(),
    sharedMemory: sharedMemorySupported(),
    webgpu,
    webgl: webglAvailable(),
    timerResolutionMs: clockResolutionMs(performanceClock),
    userAgent: ua,
    browser: brand ? `${brand.brand} ${brand.version}${/HeadlessChrome/.test(ua) ? ' (headless)' : ''}` : facts.browser,
    os: facts.os?.startsWith('Android') || !hintedOs ? facts.os : hintedOs,
    model: hints?.model || facts.model,
    cpu: hints?.architecture ? `${hints.architecture}${hints.bitness ? ` ${hints.bitness}-bit` : ''}` : null,
  };
}

export interface EngineFacts {
  provider: WebProvider;
  ortVersion: string;
  /** WASM threads onnxruntime-web runs by default on this page. */
  threads: number;
}

/** The device description a browser agent says hello with. */
export function describeDevice(env: PageEnvironment, engine: EngineFacts): DeviceDescriptionInput {
  const providers = ['wasm', ...(env.webgpu.adapter ? ['webgpu'] : []), ...(env.webgl ? ['webgl'] : [])];
  return {
    model: env.model,
    cpu: env.cpu,
    cores: env.hardwareConcurrency,
    memoryBytes: env.deviceMemoryGB === null ? null : env.deviceMemoryGB * 1024 ** 3,
    os: env.os,
    runtime: 'onnxruntime-web',
    runtimeVersion: engine.ortVersion,
    executionProviders: providers,
    threads: engine.threads,
    specs: {
      browser: env.browser,
      userAgent: env.userAgent.slice(0, 2000),
      provider: engine.provider,
      crossOriginIsolated: env.crossOriginIsolated,
      secureContext: env.secureContext,
      wasmSimd: env.simd,
      wasmThreads: engine.threads,
      sharedMemory: env.sharedMemory,
      hardwareConcurrency: env.hardwareConcurrency,
      timerResolutionMs: env.timerResolutionMs,
      webgpuAdapter: env.webgpu.adapter ? adapterLabel(env.webgpu.adapter) : null,
      webgpuUnavailable: env.webgpu.reason,
      webgl2: env.webgl,
    },
  };
}
