import { describe, expect, it } from 'vitest';
import { maxConfig } from '../../core/config';
import { SPACES, SPACE_NAMES } from '../../core/space';
import { runCli, spawnCli } from '../helpers/cli';

const w10 = SPACES['ofa-mbv3-w1.0'];

describe('ofa-farm subnet sample | stats', () => {
  it('samples reproducible configs and counts their cost', async () => {
    for (const space of SPACE_NAMES) {
      const sample = await runCli(['subnet', 'sample', '--space', space, '--count', '50', '--seed', '3']);
      expect(sample.code).toBe(0);
      const lines = sample.stdout.trim().split('\n');
      expect(lines).toHaveLength(50);
      expect((await runCli(['subnet', 'sample', '--space', space, '--count', '50', '--seed', '3'])).stdout).toBe(sample.stdout);
      const stats = await runCli(['subnet', 'stats', '--space', space, '--config', '-', '--json'], sample.stdout);
      expect(stats.code).toBe(0);
      const rows = stats.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(rows).toHaveLength(50);
      for (const row of rows) {
        expect(Object.keys(row)).toEqual(['id', 'space', 'r', 'macs', 'params']);
        expect(Number.isInteger(row.macs) && Number.isInteger(row.params)).toBe(true);
      }
    }
  });

  it('prints the known K3/E3/D4 value', async () => {
    const config = { ...maxConfig(w10, 224), ks: Array(20).fill(3), e: Array(20).fill(3) };
    const run = await runCli(['subnet', 'stats', '--space', 'ofa-mbv3-w1.0', '--config', JSON.stringify(config)]);
    expect(Math.round(JSON.parse(run.stdout).macs / 1e5) / 10).toBe(226.2);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['wrong length', { ...maxConfig(w10), ks: [3, 5] }, /ks must have 20 entries, got 2/],
    ['ks of 4', { ...maxConfig(w10), ks: [4, ...Array(19).fill(3)] }, /ks\[0\] = 4 is not allowed; allowed values: 3, 5, 7/],
    ['d of 5', { ...maxConfig(w10), d: [5, 4, 4, 4, 4] }, /d\[0\] = 5 is not allowed; allowed values: 2, 3, 4/],
    ['resolution off the grid', { ...maxConfig(w10), r: 226 }, /r = 226 is not on the resolution grid of ofa-mbv3-w1.0: 128..224 step 4/],
    ['a string', 'big', /must be a JSON object/],
  ];
  for (const [what, config, message] of bad) {
    it(`rejects ${what} with exit code 2 and one line`, async () => {
      const run = await runCli(['subnet', 'stats', '--space', 'ofa-mbv3-w1.0', '--config', JSON.stringify(config)]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stdout).toBe('');
    });
  }

  it('names the line of a bad config read from stdin', async () => {
    const run = await runCli(['subnet', 'stats', '--space', 'ofa-mbv3-w1.0', '--config', '-'], `${JSON.stringify(maxConfig(w10))}\n{"ks":1}\n`);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/line 2: /);
  });

  it('rejects an unknown space and bad numbers with exit code 2', async () => {
    expect((await runCli(['subnet', 'sample', '--space', 'resnet', '--count', '1'])).stderr).toMatch(/"resnet" is not a known space; one of: ofa-mbv3-w1.0/);
    const count = await runCli(['subnet', 'sample', '--space', 'ofa-mbv3-w1.0', '--count', 'ten']);
    expect(count.code).toBe(2);
    expect(count.stderr).toMatch(/--count must be an integer, got "ten"/);
  });

  it('works as a real process, with --help on the command', async () => {
    const run = await spawnCli(['subnet', 'sample', '--space', 'ofa-mbv3-mini', '--count', '2']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
    const help = await spawnCli(['subnet', 'stats', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--config <json>/);
  });
});
