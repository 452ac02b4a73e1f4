/**
 * The agent page (`/agent?token=...`): this browser joins the farm as a `browser` device. It runs
 * the same runtime as every agent (protocol, heartbeats, backoff, job loop, outbox) on web APIs,
 * measures in a worker with onnxruntime-web, shows its state, and exposes `window.ofaFarmAgent`
 * (status, stop) to a launcher that watches it.
 */
import { errorMessage } from '../../../core/errors';
import { sha256Hex } from '../../../core/subnet-id';
import { startAgent, type RunningAgent } from '../../runtime/agent';
import { memoryOutboxStore, type OutboxStore } from '../../runtime/outbox';
import { memoryModelSource, storageOutboxStore, webSocketFactory } from '../../runtime/web-platform';
import { parsePageParams, type PageStatus } from '../parse';
import { AgentState, stateLogger, trackedBackend } from './agent-state';
import { createPageBackend } from './engine';
import { AgentView } from './view';

declare global {
  interface Window {
    ofaFarmAgent?: { status(): PageStatus; stop(graceMs?: number): Promise<void> };
  }
}

const assets = new URL('./', import.meta.url);
/** The coordinator's base URL: the page is served at <base>/agent, its assets at <base>/agent/assets/. */
const serverBase = new URL('../../', assets).toString().replace(/\/$/, '');

function outboxStore(token: string): OutboxStore {
  try {
    const storage = window.localStorage;
    storage.getItem('ofa-farm');
    return storageOutboxStore(storage, `ofa-farm:outbox:${sha256Hex(token).slice(0, 16)}:`);
  } catch {
    return memoryOutboxStore();
  }
}

async function keepAwake(): Promise<void> {
  const lock = (navigator as Navigator & { wakeLock?: { request(type: 'screen'): Promise<unknown> } }).wakeLock;
  if (!lock) return;
  const request = () => lock.request('screen').catch(() => {});
  await request();
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && void request());
}

async function main(): Promise<void> {
  const root = document.getElementById('app') ?? document.body;
  const parsed = parsePageParams(location.search);
  const keep: Record<string, string> = {};
  for (const name of ['backend', 'threads', 'host']) {
    const value = new URLSearchParams(location.search).get(name);
    if (value) keep[name] = value;
  }
  if (!parsed.ok) {
    new AgentView(root, null, { provider: 'wasm', keep: {} }).askForToken(parsed.error);
    return;
  }
  const params = parsed.params;
  if (!params.token) {
    new AgentView(root, null, { provider: params.backend, keep }).askForToken('This page becomes a measuring device of the farm once it has a device token. Register one with `ofa-farm device add --name NAME --kind browser` and open the URL it prints, or enter the token here.');
    return;
  }
  const token = params.token;
  const state = new AgentState();
  const view = new AgentView(root, state, { provider: params.backend, keep });
  const log = stateLogger(state, (line) => console.log(line.trimEnd()), { secrets: [token] });
  const backend = createPageBackend({
    provider: params.backend,
    threads: params.threads,
    workerUrl: new URL('engine-worker.js', assets).toString(),
    ortBase: new URL('../ort/', assets).toString(),
    onActivity: () => state.activity(),
  });
  let running: RunningAgent | null = null;
  window.ofaFarmAgent = {
    status: () => state.status(),
    stop: async (graceMs = 0) => {
      await running?.stop({ graceMs, reason: 'page asked to stop' });
    },
  };
  void backend.environment().then((env) => view.environment(env, null, null));
  try {
    running = await startAgent({ server: serverBase, token, backend: trackedBackend(backend, state), platform: { openSocket: webSocketFactory(), models: memoryModelSource({ log }), outbox: outboxStore(token) }, host: params.host, log });
  } catch (error) {
    log.error('agent.start_failed', { error: errorMessage(error) });
    state.fail(`This browser cannot measure: ${errorMessage(error)}`);
    await backend.close();
    return;
  }
  const described = await backend.describe().catch(() => null);
  void backend.environment().then((env) => view.environment(env, typeof described?.threads === 'number' ? described.threads : null, described?.runtimeVersion ?? null));
  const agent = running;
  const poll = setInterval(() => state.sync(agent.status()), 1_000);
  void keepAwake();
  window.addEventListener('pagehide', () => void agent.stop({ graceMs: 0, reason: 'page closed' }));
  const exit = await agent.finished;
  clearInterval(poll);
  state.ended(exit);
}

main().catch((error) => {
  console.error(`agent page failed: ${errorMessage(error)}`);
  const root = document.getElementById('app') ?? document.body;
  root.textContent = `The agent page failed: ${errorMessage(error)}`;
});
