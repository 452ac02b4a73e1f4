/**
 * The /proc and /sys files the simulated phone shows, generated from its profile and its live
 * state (thermal model, load, battery), in the formats the Linux kernel prints them.
 */
import { cpuClusters, type SimProfile } from './profile';
import type { ThermalModel } from './thermal';

export interface LiveState {
  thermal: ThermalModel;
  batteryLevel(): number;
}

function cpuinfo(profile: SimProfile): string {
  const features = 'fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp';
  const blocks = cpuClusters(profile).map((c, i) =>
    [
      `processor\t: ${i}`,
      'BogoMIPS\t: 49.15',
      `Features\t: ${features}`,
      `CPU implementer\t: ${c.implementer}`,
      'CPU architecture: 8',
      `CPU variant\t: ${c.variant}`,
      `CPU part\t: ${c.part}`,
      `CPU revision\t: ${c.revision}`,
    ].join('\n'),
  );
  const hardware = profile.props['ro.boot.hardware.platform'] ?? profile.props['ro.board.platform'];
  return `${blocks.join('\n\n')}\n${hardware ? `\nHardware\t: ${hardware}\n` : ''}`;
}

function meminfo(profile: SimProfile): string {
  const { totalKb, availableKb } = profile.memory;
  const free = Math.round(availableKb * 0.3);
  const rows: Array<[string, number]> = [
    ['MemTotal', totalKb],
    ['MemFree', free],
    ['MemAvailable', availableKb],
    ['Buffers', Math.round(totalKb * 0.004)],
    ['Cached', Math.round(availableKb * 0.55)],
    ['SwapCached', 0],
    ['Active', Math.round(totalKb * 0.25)],
    ['Inactive', Math.round(totalKb * 0.2)],
    ['SwapTotal', Math.round(totalKb / 2)],
    ['SwapFree', Math.round(totalKb / 2.2)],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)} kB`).join('\n') + '\n';
}

function ranges(indices: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < indices.length; ) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    out.push(i === j ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

export function systemFiles(profile: SimProfile, live: LiveState): Map<string, () => string> {
  const files = new Map<string, () => string>();
  const fixed = (path: string, text: string) => files.set(path, () => text);
  fixed('/proc/cpuinfo', cpuinfo(profile));
  fixed('/proc/meminfo', meminfo(profile));
  fixed('/proc/version', `${profile.kernel}\n`);
  const cpus = cpuClusters(profile);
  const all = ranges(cpus.map((_, i) => i));
  for (const name of ['possible', 'present', 'online']) fixed(`/sys/devices/system/cpu/${name}`, `${all}\n`);
  let first = 0;
  for (const cluster of profile.clusters) {
    const members = Array.from({ length: cluster.count }, (_, k) => first + k);
    first += cluster.count;
    for (const i of members) {
      const dir = `/sys/devices/system/cpu/cpu${i}`;
      fixed(`${dir}/cpufreq/cpuinfo_min_freq`, `${cluster.minKhz}\n`);
      fixed(`${dir}/cpufreq/cpuinfo_max_freq`, `${cluster.maxKhz}\n`);
      fixed(`${dir}/cpufreq/scaling_min_freq`, `${cluster.minKhz}\n`);
      files.set(`${dir}/cpufreq/scaling_max_freq`, () => `${Math.round(cluster.maxKhz / live.thermal.throttle())}\n`);
      files.set(`${dir}/cpufreq/scaling_cur_freq`, () => `${live.thermal.isBusy ? Math.round(cluster.maxKhz / live.thermal.throttle()) : cluster.minKhz}\n`);
      fixed(`${dir}/cpufreq/scaling_governor`, 'schedutil\n');
      fixed(`${dir}/cpufreq/scaling_available_governors`, 'schedutil performance powersave\n');
      fixed(`${dir}/cpufreq/related_cpus`, `${members.join(' ')}\n`);
      fixed(`${dir}/cpu_capacity`, `${Math.round(cluster.relativeSpeed * 1024)}\n`);
      fixed(`${dir}/online`, '1\n');
    }
  }
  const zones: Array<[string, () => number]> = [
    ['cpu-therm', () => live.thermal.cpuC()],
    ['battery', () => live.thermal.batteryC()],
    ['skin-therm', () => live.thermal.skinC()],
  ];
  zones.forEach(([type, temp], i) => {
    fixed(`/sys/class/thermal/thermal_zone${i}/type`, `${type}\n`);
    files.set(`/sys/class/thermal/thermal_zone${i}/temp`, () => `${Math.round(temp() * 1000)}\n`);
  });
  const bat = '/sys/class/power_supply/battery';
  files.set(`${bat}/capacity`, () => `${live.batteryLevel()}\n`);
  files.set(`${bat}/temp`, () => `${Math.round(live.thermal.batteryC() * 10)}\n`);
  files.set(`${bat}/status`, () => (profile.battery.plugged === 'none' ? 'Discharging\n' : live.batteryLevel() >= 100 ? 'Full\n' : 'Charging\n'));
  fixed(`${bat}/present`, '1\n');
  fixed(`${bat}/voltage_now`, `${profile.battery.voltageMv * 1000}\n`);
  fixed(`${bat}/technology`, `${profile.battery.technology}\n`);
  for (const [path, text] of Object.entries(profile.files)) fixed(path, text);
  return files;
}
