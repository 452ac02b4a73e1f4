/**
 * TensorFlow.js backend selection. `@tensorflow/tfjs-node` (native TensorFlow) when it is
 * installed; otherwise the WASM backend with the binaries loaded from node_modules (never from a
 * CDN); the pure-JS `cpu` backend only as a last resort (20-50x slower for training here).
 * WASM lacks the conv filter/depthwise backprop kernels: trainer/ops/conv.ts supplies gradients
 * built from kernels it has, so every backend trains the same graph.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** One line for logs: which backend and why. */
  description: string;
}

let selected: BackendInfo | null = null;
let wasmPathsSet = false;

async function tryTfjsNode(): Promise<boolean> {
  try {
    // Optional peer dependency: a missing package is the normal case on machines without it.
    const moduleName = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ moduleName);
    return tf.findBackend('tensorflow') !== undefined && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!wasmPathsSet) {
      const require = createRequire(import.meta.url);
      const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(`${dir}/`);
      wasmPathsSet = true;
    }
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Selects and initialises the fastest available backend once per process; later calls return the
 * same choice. `prefer` forces one (tests compare against `cpu`).
 */
export async function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  if (selected && (!prefer || prefer === selected.name)) return selected;
  let name: BackendName | null = null;
  if (prefer === 'cpu') name = (await tf.setBackend('cpu')) ? 'cpu' : null;
  else if (prefer === 'wasm') name = (await tryWasm()) ? 'wasm' : null;
  else if (prefer === 'tensorflow') name = (await tryTfjsNode()) ? 'tensorflow' : null;
  else if (await tryTfjsNode()) name = 'tensorflow';
  else if (await tryWasm()) name = 'wasm';
  else if (await tf.setBackend('cpu')) name = 'cpu';
  if (!name) throw new Error(`TensorFlow.js backend ${prefer ?? '(any)'} could not be initialised`);
  await tf.ready();
  const description =
    name === 'tensorflow'
      ? 'tfjs-node (native TensorFlow)'
      : name === 'wasm'
        ? `tfjs WASM (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}, single thread; tfjs-node not installed)`
        : 'tfjs pure-JS cpu (slow: neither tfjs-node nor WASM could start)';
  selected = { name, description };
  return selected;
}

/** Switches the active backend (used by tests to compute reference gradients on `cpu`). */
export async function useBackend(name: BackendName): Promise<void> {
  const ok = name === 'wasm' ? await tryWasm() : name === 'tensorflow' ? await tryTfjsNode() : await tf.setBackend(name);
  if (!ok) throw new Error(`TensorFlow.js backend ${name} could not be initialised`);
  await tf.ready();
}
