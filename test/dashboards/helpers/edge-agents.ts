/** Real edge agent processes (`ofa-farm agent edge`) for the dashboards' end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../../helpers/cli';

export interface EdgeAgent {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node cli/bin.mjs agent edge --server URL` with the device token in the environment. */
export function startEdgeAgent(name: string, server: string, token: string, host: string): EdgeAgent {
  const cache = mkdtempSync(join(tmpdir(), `ofa-dash-agent-${name}-`));
  const child = spawn(process.execPath, [BIN, 'agent', 'edge', '--server', server, '--cache', cache, '--threads', '1', '--host', host, '--grace-ms', '500'], {
    env: { ...process.env, OFA_FARM_DEVICE_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out = (out + c).slice(-20_000)));
  child.stderr!.on('data', (c) => (out = (out + c).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    name,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(cache, { recursive: true, force: true });
    },
  };
}
