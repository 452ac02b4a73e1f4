import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli';

describe('ofa-farm demo --exit', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'ofa-farm-demo-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('starts a coordinator and an edge agent process, sweeps, prints the table and exits', async () => {
    const args = ['demo', '--exit', '--port', '0', '--space', 'ofa-mbv3-mini', '--count', '5'];
    const run = await spawnCli(args, { cwd, timeoutMs: 170_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/coordinator http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/dashboards: http:\/\/127\.0\.0\.1:\d+\/dashboard\//);
    expect(run.stdout).toContain('admin token (shown once');
    expect(run.stdout).toMatch(/subnet id\s+r\s+MMACs\s+local-edge median ms\s+local-edge CV/);
    const tableRows = run.stdout.split('\n').filter((line) => /^[0-9a-f]{16}\s+\d+\s/.test(line));
    expect(tableRows).toHaveLength(5);
    for (const row of tableRows) expect(row.trim().split(/\s+/)[3]).toMatch(/^\d+(\.\d+)?$/);
    // A browser is found here (Debian's chromium in CI): the same subnets measured in onnxruntime-web, side by side.
    expect(run.stdout).toMatch(/device local-browser: .*onnxruntime-web \S+, \d+ WASM threads, cross-origin isolated: yes/);
    expect(run.stdout).toMatch(/local-edge CV\s+local-browser median ms\s+local-browser CV/);
    for (const row of tableRows) expect(row.trim().split(/\s+/)[5]).toMatch(/^\d+(\.\d+)?$/);
    expect(run.stdout).toMatch(/anchor [0-9a-f]{16} on local-edge/);
    // Each device's twin (refitted when its sweep completed) and its front on 5 budgets.
    for (const device of ['local-edge', 'local-browser']) {
      expect(run.stdout).toMatch(new RegExp(`Pareto front of ${device} on ofa-mbv3-mini \\(twin \\S+ v\\d+; objective: MACs, a PROXY for accuracy`));
    }
    expect(statSync(join(cwd, '.ofa-farm', 'admin-token')).mode & 0o777).toBe(0o600);
  }, 200_000);
});
