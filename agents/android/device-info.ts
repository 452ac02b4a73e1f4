/**
 * What the agent learns about a phone from adb, parsed from the text Android prints: getprop,
 * /proc/cpuinfo, cpufreq, /proc/meminfo, `dumpsys battery` and `dumpsys thermalservice`.
 * Pure functions over strings; the shell commands that produce them are in FACTS_COMMAND and
 * CONDITION_COMMAND.
 */
import type { DeviceDescriptionInput } from '../../core/protocol';

/** One shell round trip for everything static about the device. */
export const FACTS_COMMAND = [
  'getprop',
  'echo ===cpuinfo',
  'cat /proc/cpuinfo',
  'echo ===meminfo',
  'cat /proc/meminfo',
  'echo ===cpufreq',
  'for f in /sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq; do echo $f; cat $f; done',
  'echo ===kernel',
  'cat /proc/version',
].join('; ');

/** One round trip for the device's condition before a job. */
export const CONDITION_COMMAND = 'dumpsys battery; echo ===thermal; dumpsys thermalservice 2>/dev/null';

const ARM_PARTS: Record<string, string> = {
  '0xd03': 'Cortex-A53', '0xd04': 'Cortex-A35', '0xd05': 'Cortex-A55', '0xd07': 'Cortex-A57', '0xd08': 'Cortex-A72', '0xd09': 'Cortex-A73',
  '0xd0a': 'Cortex-A75', '0xd0b': 'Cortex-A76', '0xd0d': 'Cortex-A77', '0xd41': 'Cortex-A78', '0xd44': 'Cortex-X1', '0xd46': 'Cortex-A510',
  '0xd47': 'Cortex-A710', '0xd48': 'Cortex-X2', '0xd4d': 'Cortex-A715', '0xd4e': 'Cortex-X3', '0xd80': 'Cortex-A520', '0xd81': 'Cortex-A720', '0xd82': 'Cortex-X4',
};

export interface CpuCore {
  index: number;
  part: string | null;
  name: string | null;
  maxKhz: number | null;
}

export interface DeviceFacts {
  /** ro.serialno (stable across ports and cables), else the adb serial. */
  serial: string;
  adbSerial: string;
  props: Record<string, string>;
  cores: CpuCore[];
  memTotalBytes: number | null;
  kernel: string | null;
  /** Set by `ofa-farm android-sim`: this phone is simulated. */
  simulated: boolean;
}

export function splitSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name = '';
  let lines: string[] = [];
  for (const line of text.replace(/\r/g, '').split('\n')) {
    const m = /^===(\w+)$/.exec(line.trim());
    if (m) {
      sections.set(name, lines.join('\n'));
      name = m[1];
      lines = [];
    } else lines.push(line);
  }
  sections.set(name, lines.join('\n'));
  return sections;
}

/** `[key]: [value]` lines (values may span lines). */
export function parseGetprop(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const m of text.replace(/\r/g, '').matchAll(/^\[([^\]]+)\]: \[([\s\S]*?)\]$/gm)) props[m[1]] = m[2];
  return props;
}

export function parseArmCpuinfo(text: string): Map<number, { part: string | null }> {
  const cpus = new Map<number, { part: string | null }>();
  let current: number | null = null;
  for (const line of text.split('\n')) {
    const [key, value] = [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()];
    if (key === 'processor' && /^\d+$/.test(value)) {
      current = Number(value);
      cpus.set(current, { part: null });
    } else if (key === 'CPU part' && current !== null) cpus.get(current)!.part = value.toLowerCase();
  }
  return cpus;
}

/** `/sys/devices/system/cpu/cpuN/cpufreq/cpuinfo_max_freq` followed by its value, per CPU. */
export function parseCpuFreqs(text: string): Map<number, number> {
  const freqs = new Map<number, number>();
  const lines = text.split('\n').map((l) => l.trim());
  for (let i = 0; i < lines.length - 1; i++) {
    const m = /\/cpu(\d+)\/cpufreq\/cpuinfo_max_freq$/.exec(lines[i]);
    if (m && /^\d+$/.test(lines[i + 1])) freqs.set(Number(m[1]), Number(lines[i + 1]));
  }
  return freqs;
}

export function parseMemTotalBytes(text: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

export function parseDeviceFacts(adbSerial: string, text: string): DeviceFacts {
  const sections = splitSections(text);
  const props = parseGetprop(sections.get('') ?? '');
  const cpuinfo = parseArmCpuinfo(sections.get('cpuinfo') ?? '');
  const freqs = parseCpuFreqs(sections.get('cpufreq') ?? '');
  const indices = [...new Set([...cpuinfo.keys(), ...freqs.keys()])].sort((a, b) => a - b);
  const cores = indices.map((index) => {
    const part = cpuinfo.get(index)?.part ?? null;
    return { index, part, name: part ? (ARM_PARTS[part] ?? null) : null, maxKhz: freqs.get(index) ?? null };
  });
  return {
    serial: props['ro.serialno'] || props['ro.boot.serialno'] || adbSerial,
    adbSerial,
    props,
    cores,
    memTotalBytes: parseMemTotalBytes(sections.get('meminfo') ?? ''),
    kernel: (sections.get('kernel') ?? '').trim() || null,
    simulated: props['ro.ofa_farm.simulator'] === 'android-sim',
  };
}

/** "2x Cortex-X1 @ 2.85 GHz, 2x Cortex-A78 @ 2.35 GHz, 4x Cortex-A55 @ 1.80 GHz", fastest first. */
export function describeClusters(cores: CpuCore[]): string {
  const groups = new Map<string, { name: string; khz: number | null; count: number }>();
  for (const c of cores) {
    const key = `${c.part}/${c.maxKhz}`;
    const g = groups.get(key) ?? { name: c.name ?? (c.part ? `part ${c.part}` : 'core'), khz: c.maxKhz, count: 0 };
    g.count++;
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => (b.khz ?? 0) - (a.khz ?? 0))
    .map((g) => `${g.count}x ${g.name}${g.khz ? ` @ ${(g.khz / 1e6).toFixed(2)} GHz` : ''}`)
    .join(', ');
}

/** A name for the farm: `<model>-<serial>`, lowercase, safe in URLs and shells. */
export function deviceName(facts: DeviceFacts, suffix = ''): string {
  const model = (facts.props['ro.product.model'] || facts.props['ro.product.device'] || 'android').toLowerCase();
  const clean = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-+|-+$/g, '');
  return `${clean(model)}-${clean(facts.serial).toLowerCase()}${suffix}`.slice(0, 100);
}

export interface RuntimeInfo {
  runtime: string;
  runtimeVersion: string;
  executionProviders: string[];
  threads: number | null;
}

export function toDeviceDescription(facts: DeviceFacts, runtime: RuntimeInfo): DeviceDescriptionInput {
  const p = facts.props;
  const soc = [p['ro.soc.manufacturer'], p['ro.soc.model']].filter(Boolean).join(' ') || p['ro.board.platform'] || p['ro.hardware'] || null;
  const clusters = describeClusters(facts.cores);
  const spec = (v: string | undefined) => (v === undefined || v === '' ? null : v);
  return {
    model: [p['ro.product.manufacturer'], p['ro.product.model']].filter(Boolean).join(' ') || null,
    cpu: soc ? `${soc}${clusters ? ` (${clusters})` : ''}` : clusters || null,
    cores: facts.cores.length || null,
    memoryBytes: facts.memTotalBytes,
    os: p['ro.build.version.release'] ? `Android ${p['ro.build.version.release']} (SDK ${p['ro.build.version.sdk'] ?? '?'})` : null,
    ...runtime,
    specs: {
      serial: facts.serial,
      adbSerial: facts.adbSerial,
      manufacturer: spec(p['ro.product.manufacturer']),
      model: spec(p['ro.product.model']),
      device: spec(p['ro.product.device']),
      board: spec(p['ro.product.board']),
      platform: spec(p['ro.board.platform']),
      hardware: spec(p['ro.hardware']),
      soc,
      abi: spec(p['ro.product.cpu.abi']),
      abiList: spec(p['ro.product.cpu.abilist']),
      androidVersion: spec(p['ro.build.version.release']),
      sdk: p['ro.build.version.sdk'] ? Number(p['ro.build.version.sdk']) : null,
      buildFingerprint: spec(p['ro.build.fingerprint']),
      kernel: facts.kernel ? facts.kernel.slice(0, 300) : null,
      cpuClusters: clusters || null,
      cpuMaxKhz: facts.cores.map((c) => c.maxKhz ?? 0).join(',') || null,
      simulated: facts.simulated,
      simProfile: spec(p['ro.ofa_farm.sim.profile']),
      simSlowdown: p['ro.ofa_farm.sim.slowdown'] ? Number(p['ro.ofa_farm.sim.slowdown']) : null,
    },
  };
}

export interface DeviceCondition {
  batteryTempC: number | null;
  batteryLevel: number | null;
  /** PowerManager thermal status 0 (none) .. 6 (shutdown); null when the device has no thermal service. */
  thermalStatus: number | null;
  skinTempC: number | null;
  plugged: boolean | null;
}

export function parseCondition(text: string): DeviceCondition {
  const sections = splitSections(text);
  const battery = sections.get('') ?? '';
  const thermal = sections.get('thermal') ?? '';
  const num = (re: RegExp, from: string) => {
    const m = re.exec(from);
    return m ? Number(m[1]) : null;
  };
  const tenths = num(/^\s*temperature:\s*(-?\d+)/m, battery);
  const skin = /Temperature\{mValue=(-?[\d.]+), mType=3,/.exec(thermal);
  const plugged = ['AC', 'USB', 'Wireless'].map((k) => new RegExp(`^\\s*${k} powered:\\s*(true|false)`, 'm').exec(battery)?.[1]);
  return {
    batteryTempC: tenths === null ? null : tenths / 10,
    batteryLevel: num(/^\s*level:\s*(\d+)/m, battery),
    thermalStatus: num(/^Thermal Status:\s*(\d+)/m, thermal),
    skinTempC: skin ? Number(skin[1]) : null,
    plugged: plugged.every((v) => v === undefined) ? null : plugged.includes('true'),
  };
}
