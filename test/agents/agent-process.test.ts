import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { QUICK_SETTINGS } from '../conformance/device-backend.case';
import { tinyModel } from '../conformance/test-models';
import { BIN, runCli, spawnCli } from '../helpers/cli';
import { GOOD_TOKEN, ProtocolPeer } from './helpers/protocol-peer';
import { tempDir } from './helpers/test-agent';

interface AgentProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `node cli/bin.mjs agent edge ...` as a user runs it, the token in the environment. */
function spawnAgent(server: string, args: string[] = []): AgentProcess {
  const child = spawn(process.execPath, [BIN, 'agent', 'edge', '--server', server, '--cache', tempDir(), '--threads', '1', ...args], {
    env: { ...process.env, OFA_FARM_DEVICE_TOKEN: GOOD_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
  return { child, stderr: () => stderr, exited };
}

describe('the edge agent process (ofa-farm agent edge)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('on SIGINT during a long job: aborts after the grace period, releases the job, exits 0', async () => {
    const peer = await ProtocolPeer.start({ heartbeatMs: 200 });
    cleanup.push(() => peer.close());
    const agent = spawnAgent(peer.url, ['--grace-ms', '300']);
    cleanup.push(async () => agent.child.kill('SIGKILL'));
    await peer.waitFor('welcome', () => peer.frames('heartbeat').length > 0, 60_000);
    peer.sendJob(peer.addModel(tinyModel().bytes), 'long', { ...QUICK_SETTINGS, minTimedMs: 120_000, maxRuns: 1_000_000 });
    await peer.waitFor('measuring', () => peer.frames('progress').some((p) => p.phase === 'measure'), 60_000);
    agent.child.kill('SIGINT');
    const release = await peer.waitFor('release', () => peer.frames('release').find((r) => r.jobId === 'long'));
    expect(release.reason).toMatch(/agent stopping: received SIGINT/);
    expect(await agent.exited).toBe(0);
    expect(peer.frames('result')).toEqual([]);
    const stderr = agent.stderr();
    expect(stderr).not.toContain(GOOD_TOKEN);
    expect(stderr).toMatch(/ info agent.welcome .*deviceId=dev-1/);
    expect(stderr).toMatch(/ warn job.release .*jobId=long/);
    for (const line of stderr.trim().split('\n')) expect(line).toMatch(/^(\d{4}-\d\d-\d\dT\S+ (debug|info|warn|error) [\w.]+( |$)|ofa-farm: )/);
  });

  it('on SIGTERM: a job that finishes within the grace period is reported, not released', async () => {
    const peer = await ProtocolPeer.start({ heartbeatMs: 200 });
    cleanup.push(() => peer.close());
    const agent = spawnAgent(peer.url, ['--grace-ms', '60000']);
    cleanup.push(async () => agent.child.kill('SIGKILL'));
    await peer.waitFor('welcome', () => peer.frames('heartbeat').length > 0, 60_000);
    peer.sendJob(peer.addModel(tinyModel().bytes), 'short', { ...QUICK_SETTINGS, minTimedMs: 1500, maxRuns: 1_000_000, maxRemeasures: 0 });
    await peer.waitFor('measuring', () => peer.frames('progress').some((p) => p.phase === 'measure'), 60_000);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(peer.stored.get('short@1')?.status).not.toBe('failed');
    expect(peer.frames('release')).toEqual([]);
  });

  it('exits with code 2 and a clear message when the coordinator refuses the token', async () => {
    const peer = await ProtocolPeer.start();
    cleanup.push(() => peer.close());
    const run = await spawnCli(['agent', 'edge', '--server', peer.url, '--token', 'not-the-right-token', '--cache', tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ofa-farm: the coordinator refused this agent \(auth_failed\): unknown device token/);
    expect(run.stderr).not.toContain('not-the-right-token');
    expect(peer.connections).toBe(1);
  });

  it('names a bad option value', async () => {
    const bad = await runCli(['agent', 'edge', '--server', 'ftp://x', '--token', 't']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--server must start with http:\/\/ or https:\/\//);
    const threads = await runCli(['agent', 'edge', '--token', 't', '--threads', 'many']);
    expect(threads.code).toBe(2);
    expect(threads.stderr).toMatch(/--threads must be an integer, got "many"/);
  });
});
