/** Starts a real edge agent in-process (runtime + onnxruntime-node + disk cache) against a test peer. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEdgeBackend } from '../../../agents/edge/backend';
import { startAgent, type AgentOptions, type RunningAgent } from '../../../agents/runtime/agent';
import { createLogger } from '../../../agents/runtime/log';
import { createNodePlatform } from '../../../agents/runtime/node-platform';
import type { ProtocolPeer } from './protocol-peer';
import { afterAll } from 'vitest';

export interface TestAgent {
  agent: RunningAgent;
  cacheDir: string;
  logs: string[];
}

const made: string[] = [];
// Registered on the importing test file's root suite: its temp dirs go when the file is done.
afterAll(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A temp dir removed when the test process exits. */
export function tempDir(prefix = 'ofa-farm-agent-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function startTestAgent(peer: ProtocolPeer, options: { token?: string; cacheDir?: string; awaitWelcome?: boolean } & Partial<AgentOptions> = {}): Promise<TestAgent> {
  const { awaitWelcome = true, ...rest } = options;
  const cacheDir = options.cacheDir ?? tempDir();
  const token = options.token ?? peer.token;
  const logs: string[] = [];
  const log = createLogger((line) => logs.push(line), { level: 'debug', secrets: [token] });
  const agent = await startAgent({
    server: peer.url,
    token,
    backend: createEdgeBackend({ threads: 1 }),
    platform: createNodePlatform({ cacheDir, token, log, models: { attempts: 2 } }),
    host: 'test-host',
    log,
    backoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0.5 },
    resendAfterMs: 60_000,
    progressIntervalMs: 100,
    ...rest,
  });
  if (awaitWelcome) await peer.waitFor('the agent to be welcomed', () => agent.status().connected);
  return { agent, cacheDir, logs };
}
