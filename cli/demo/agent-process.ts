/** A local agent as its own process (`ofa-farm agent <kind>`), its output in a log file under the farm home. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FarmError } from '../../core/errors';

const BIN = join(import.meta.dirname, '..', 'bin.mjs');

export interface AgentProcess {
  child: ChildProcess;
  logPath: string;
  /** Last lines of its log, for error messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnAgent(home: string, name: string, args: string[], token: string): AgentProcess {
  const logDir = join(home, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `agent-${name}.log`);
  const fd = openSync(logPath, 'a', 0o600);
  const child = spawn(process.execPath, [BIN, 'agent', ...args], { env: { ...process.env, OFA_FARM_DEVICE_TOKEN: token }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    logPath,
    tail: (lines = 15) => {
      try {
        return readFileSync(logPath, 'utf8').trim().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `check` is true, failing early with the agent's log when the process exits. */
export async function waitForAgent(agent: AgentProcess, check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (agent.child.exitCode !== null || agent.child.signalCode !== null) {
      throw new FarmError(`the agent exited before ${what} (log ${agent.logPath}):\n${agent.tail()}`);
    }
    if (Date.now() > deadline) throw new FarmError(`${what} did not happen within ${timeoutMs / 1000} s (log ${agent.logPath}):\n${agent.tail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
