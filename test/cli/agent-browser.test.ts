import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/databases';
import { BIN, runCli } from '../helpers/cli';
import { ADMIN, eventually, TestFarm } from '../server/support/test-farm';

// `ofa-farm device add --kind browser` and `ofa-farm agent browser` as a user runs them, against
// a real coordinator (PGlite and PostgreSQL) with real headless Chromium.
describeEachDb('the browser agent from the command line', (getDb) => {
  let farm: TestFarm;

  beforeAll(async () => {
    farm = await TestFarm.start(getDb(), { leaseMs: 8_000, offlineAfterMs: 5_000, helloTimeoutMs: 5_000 });
  });
  afterAll(async () => farm?.stop());

  const server = () => ['--server', farm.url, '--admin-token', ADMIN];

  it('device add --kind browser prints a join URL with the token, and --json has it too', async () => {
    const run = await runCli(['device', 'add', '--name', 'phone-1', '--kind', 'browser', ...server()]);
    expect(run.code, run.stderr).toBe(0);
    const token = /token \(shown once; only its hash is stored\):\n {2}(\S+)/.exec(run.stdout)?.[1] as string;
    expect(run.stdout).toContain(`open this URL in any browser (a phone's too) to make it this device's agent:\n  ${farm.url}/agent?token=${token}\n`);
    expect(run.stdout).toContain(`OFA_FARM_DEVICE_TOKEN=${token} ofa-farm agent browser --server ${farm.url}`);
    const json = await runCli(['device', 'add', '--name', 'phone-2', '--kind', 'browser', '--json', ...server()]);
    const added = JSON.parse(json.stdout);
    expect(added.url).toBe(`${farm.url}/agent?token=${encodeURIComponent(added.token)}`);
    const page = await fetch(added.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const edge = JSON.parse((await runCli(['device', 'add', '--name', 'edge-1', '--kind', 'edge', '--json', ...server()])).stdout);
    expect(edge.url).toBeUndefined();
  });

  it('agent browser says which browser it uses, measures, and on SIGTERM releases its job and exits 0', async () => {
    const { token } = JSON.parse((await runCli(['device', 'add', '--name', 'chromium-cli', '--kind', 'browser', '--json', ...server()])).stdout);
    const child = spawn(process.execPath, [BIN, 'agent', 'browser', '--server', farm.url, '--grace-ms', '300'], {
      env: { ...process.env, OFA_FARM_DEVICE_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
    try {
      await eventually(async () => (await farm.api('GET', '/api/devices/chromium-cli')).body.device?.status === 'online', 'the CLI agent to come online', 90_000);
      expect(stderr).toMatch(/ofa-farm: browser: chromium \d+\.\d+\S* \((Playwright's own|system): \S+\)/);
      const sweep = await farm.startSweep({ device: 'chromium-cli', count: 1, settings: { warmupRuns: 3, warmupMinMs: 20, runs: 10, minTimedMs: 60_000, maxRuns: 1_000_000, maxRemeasures: 0 } });
      await eventually(async () => /info job\.start agent=browser/.test(stderr) && (await farm.sweep(sweep.id)).progress.leased === 1, 'the job to be measured', 90_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/ofa-farm: SIGTERM: stopping/);
      expect(stderr).toMatch(/warn job\.release agent=browser .*agent stopping/);
      expect(stderr).not.toContain(token);
      const after = await eventually(async () => {
        const s = await farm.sweep(sweep.id);
        return s.progress.queued === 1 ? s : undefined;
      }, 'the job to be back in the queue');
      expect(after.progress.done).toBe(0);
      expect((await farm.api('GET', '/api/devices/chromium-cli')).body.device.status).toBe('offline');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('ofa-farm agent browser, bad input', () => {
  it('names what is wrong and how to fix it (exit 2)', async () => {
    const firefox = await runCli(['agent', 'browser', '--browser', 'firefox', '--executable', '/nonexistent/firefox', '--token', 't']);
    expect(firefox.code).toBe(2);
    expect(firefox.stderr).toBe('ofa-farm: --executable /nonexistent/firefox does not exist\n');
    const backend = await runCli(['agent', 'browser', '--backend', 'cuda', '--token', 't']);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/--backend must be one of wasm, webgpu, webgl, got "cuda"/);
    const noToken = await runCli(['agent', 'browser', '--server', 'http://127.0.0.1:9'], '');
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/a device token is required/);
  });
});
