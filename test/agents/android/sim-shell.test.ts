/** The simulator's shell, stand-in tool and thermal model, without adb in between. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePerfTestOutput } from '../../../agents/android/parse';
import { cppDouble, cppToString } from '../../../agents/android/sim/cpp-format';
import { SimDevice } from '../../../agents/android/sim/device';
import { PerfArgsError, parsePerfTestArgs } from '../../../agents/android/sim/perf-test-args';
import { loadProfile, type SimProfile } from '../../../agents/android/sim/profile';
import { parseShell } from '../../../agents/android/sim/shell/parse';
import { Shell } from '../../../agents/android/sim/shell/interpret';
import { ThermalModel } from '../../../agents/android/sim/thermal';
import { tinyModel } from '../../conformance/test-models';

function phone(profile: SimProfile = loadProfile('pixel-7')) {
  return new SimDevice(profile, mkdtempSync(join(tmpdir(), 'ofa-sim-unit-')), null);
}

async function run(device: SimDevice, command: string): Promise<{ out: string; status: number }> {
  let out = '';
  const write = async (d: string | Buffer) => void (out += d.toString());
  const status = await new Shell(device).run(command, { out: write, err: write, stdin: null }, new AbortController().signal);
  return { out, status };
}

describe('simulated shell', () => {
  it('quotes, variables, $?, && || ; and redirections', async () => {
    const d = phone();
    expect((await run(d, `echo 'a  b' "c $?" d\\ e; false; echo rc=$?`)).out).toBe('a  b c 0 d e\nrc=1\n');
    expect((await run(d, 'X=1; echo $X ${X}y; true && echo and || echo or; false || echo or')).out).toBe('1 1y\nand\nor\n');
    expect((await run(d, 'echo hi > /data/local/tmp/a; echo more >> /data/local/tmp/a; cat /data/local/tmp/a; cat /nope 2>/dev/null; echo $?')).out).toBe('hi\nmore\n1\n');
    expect((await run(d, 'cat /nope 2>&1 | grep -c No')).out).toBe('cat: /nope: No such file or directory\n');
    expect((await run(d, 'cd /data/local/tmp && pwd && ls')).out).toBe('/data/local/tmp\na\n');
  });

  it('if, while, until, for and globs', async () => {
    const d = phone();
    expect((await run(d, 'if [ -f /proc/meminfo ]; then echo yes; elif true; then echo no; else echo never; fi')).out).toBe('yes\n');
    expect((await run(d, 'if test -d /proc/meminfo; then echo yes; else echo no; fi')).out).toBe('no\n');
    expect((await run(d, 'for c in /sys/devices/system/cpu/cpu?/online; do echo $c; done | wc -l')).out).toBe('8\n');
    expect((await run(d, 'for x in a b; do for y in 1 2; do echo $x$y; done; done')).out).toBe('a1\na2\nb1\nb2\n');
    expect((await run(d, 'touch /sdcard/w; while [ -f /sdcard/w ]; do rm /sdcard/w; echo once; done; until true; do echo never; done')).out).toBe('once\n');
    expect((await run(d, 'echo /sys/class/thermal/thermal_zone*/type')).out).toBe('/sys/class/thermal/thermal_zone0/type /sys/class/thermal/thermal_zone1/type /sys/class/thermal/thermal_zone2/type\n');
  });

  it('syntax errors and unknown commands are reported as sh does', async () => {
    const d = phone();
    expect(await run(d, "echo 'oops")).toEqual({ out: '/system/bin/sh: syntax error: unterminated single quote\n', status: 2 });
    expect(await run(d, 'if true; then echo x')).toMatchObject({ status: 2 });
    expect(await run(d, 'nosuchcmd')).toEqual({ out: '/system/bin/sh: nosuchcmd: inaccessible or not found\n', status: 127 });
    expect(await run(d, 'echo $(id)')).toMatchObject({ status: 2, out: expect.stringMatching(/not supported by the simulator/) });
    expect(() => parseShell('a |')).toThrow(/unexpected end of input/);
  });

  it('files: chmod decides what runs; pushed scripts run; other binaries do not', async () => {
    const d = phone();
    await run(d, "echo 'echo from script' > /data/local/tmp/s.sh");
    expect((await run(d, '/data/local/tmp/s.sh; echo $?')).out).toBe('/system/bin/sh: /data/local/tmp/s.sh: can\'t execute: Permission denied\n126\n');
    d.vfs.write('/data/local/tmp/s.sh', '#!/system/bin/sh\necho from script\nexit 3\n');
    expect((await run(d, 'chmod 755 /data/local/tmp/s.sh && /data/local/tmp/s.sh; echo rc=$?')).out).toBe('from script\nrc=3\n');
    d.vfs.write('/data/local/tmp/elf', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]));
    expect((await run(d, 'chmod +x /data/local/tmp/elf; /data/local/tmp/elf')).out).toMatch(/Exec format error/);
    expect((await run(d, 'rm /proc/meminfo')).out).toBe('rm: /proc/meminfo: Read-only file system\n');
  });
});

describe('stand-in onnxruntime_perf_test', () => {
  const model = tinyModel();
  const setup = (profile: SimProfile) => {
    const d = phone(profile);
    d.vfs.mkdir('/data/local/tmp/ofa-farm', true);
    d.vfs.write('/data/local/tmp/ofa-farm/m.onnx', Buffer.from(model.bytes));
    d.vfs.write('/data/local/tmp/ofa-farm/onnxruntime_perf_test', '#!/system/bin/sh\n', { mode: 0o755 });
    return d;
  };
  const tool = '/data/local/tmp/ofa-farm/onnxruntime_perf_test';

  for (const format of ['2020', '2023', '2025'] as const) {
    it(`prints the ${format} layout, which the agent's parser reads back`, async () => {
      const profile = loadProfile('pixel-7');
      const d = setup({ ...profile, perfTest: { ...profile.perfTest, format, slowdown: 1 } });
      const { out, status } = await run(d, `${tool} -m times -r 7 -x 1 -I -S 1 -v /data/local/tmp/ofa-farm/m.onnx; echo rc=$?`);
      expect(status).toBe(0);
      const parsed = parsePerfTestOutput(out);
      expect(parsed.failure).toBeNull();
      expect(parsed.requests).toBe(7);
      expect(parsed.samplesMs).toHaveLength(7);
      expect(parsed.intraOpThreads).toBe(1);
      expect(parsed.exitStatus).toBe(0);
      expect(out).toMatch(format === '2025' ? /^Average inference time cost total: \d+\.\d{6} ms$/m : format === '2020' ? /^Average inference time cost:\S+ ms$/m : /^Average inference time cost: \S+ ms$/m);
      if (format === '2020') expect(parsed.firstInferenceMs).toBeNull();
      else expect(parsed.latency.p50Ms).not.toBeNull();
      // the summed per-run costs are the total the tool printed (6 significant digits)
      const sum = parsed.samplesMs.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - parsed.totalInferenceMs!) / sum).toBeLessThan(1e-4);
    });
  }

  it('fails as the real tool does: no -I, an EP not in the build, a missing model, bad options', async () => {
    const d = setup(loadProfile('pixel-7'));
    expect((await run(d, `${tool} -r 2 /data/local/tmp/ofa-farm/m.onnx; echo rc=$?`)).out).toBe('there is no test data for model ofa-farm\nRun failed:failed to initialize.\nrc=255\n');
    expect((await run(d, `${tool} -e nnapi -I -r 2 /data/local/tmp/ofa-farm/m.onnx; echo rc=$?`)).out).toBe('NNAPI is not supported in this build\nrc=255\n');
    expect((await run(d, `${tool} -I /data/local/tmp/none.onnx; echo rc=$?`)).out).toMatch(/File doesn't exist\nrc=255/);
    expect((await run(d, `${tool} -Q 1 x.onnx; echo rc=$?`)).out).toMatch(/unknown option -Q\nSee 'onnxruntime_perf_test --help'.\nrc=255/);
    d.vfs.write('/data/local/tmp/bad.onnx', 'not a model');
    expect(parsePerfTestOutput((await run(d, `${tool} -I -r 2 /data/local/tmp/bad.onnx; echo rc=$?`)).out).failure).toMatch(/exited with status 255: Load model from/);
  });

  it('stretches runs by the slowdown, more on little cores (taskset), and heats the phone', async () => {
    const profile = loadProfile('galaxy-a54');
    const d = setup({ ...profile, perfTest: { ...profile.perfTest, slowdown: 4 }, thermal: { ...profile.thermal, heatCPerSecond: 20, coolTimeConstantS: 1000 } });
    const before = d.thermal.skinC();
    const fast = parsePerfTestOutput((await run(d, `taskset f0 ${tool} -m times -r 20 -x 1 -I -v /data/local/tmp/ofa-farm/m.onnx`)).out);
    const slow = parsePerfTestOutput((await run(d, `taskset 1 ${tool} -m times -r 20 -x 1 -I -v /data/local/tmp/ofa-farm/m.onnx`)).out);
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // A55 at 0.38 of an A78: the same work takes ~2.6x as long when pinned to cpu0.
    expect(median(slow.samplesMs) / median(fast.samplesMs)).toBeGreaterThan(1.5);
    expect(d.thermal.skinC()).toBeGreaterThan(before);
  });

  it('parses the real tool options, in both styles', () => {
    expect(parsePerfTestArgs(['-m', 'times', '-r', '5', '-x4', '--e=cpu', '-I', '-f', 'N:1 H:8', 'm.onnx', 'out.csv'])).toMatchObject({ mode: 'times', repeats: 5, intraThreads: 4, provider: 'cpu', generateInputs: true, modelPath: 'm.onnx', resultFile: 'out.csv', stats: false });
    expect(parsePerfTestArgs(['-t', '3', 'm.onnx'])).toMatchObject({ mode: 'duration', durationS: 3, stats: true });
    expect(() => parsePerfTestArgs(['-r', 'x', 'm.onnx'])).toThrow(PerfArgsError);
    expect(() => parsePerfTestArgs([])).toThrow(/model_path/);
  });
});

describe('C++ number formatting and the thermal model', () => {
  it('prints doubles as iostreams do', () => {
    expect([0.0808129, 9.5e-5, 0.000123456789, 1144.76, 1234567, 100, 0].map(cppDouble)).toEqual(['0.0808129', '9.5e-05', '0.000123457', '1144.76', '1.23457e+06', '100', '0']);
    expect(cppToString(82.33823)).toBe('82.338230');
  });

  it('heats while busy, cools towards ambient, and maps skin temperature to a thermal status', () => {
    let now = 0;
    const t = new ThermalModel({ ...loadProfile('pixel-7').thermal, startC: 30, ambientC: 25, heatCPerSecond: 3, coolTimeConstantS: 10 }, () => now);
    const end = t.begin();
    now = 20_000;
    const hot = t.skinC();
    expect(hot).toBeGreaterThan(39);
    expect(t.status()).toBeGreaterThanOrEqual(1);
    end();
    now = 80_000;
    expect(t.skinC()).toBeLessThan(26);
    expect(t.status()).toBe(0);
    expect(t.throttle()).toBe(1);
  });
});
