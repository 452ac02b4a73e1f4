/**
 * Android's own shell commands, answered from the device state: getprop/setprop, dumpsys
 * (battery, thermalservice, power), pm, settings, svc power, input, am, taskset, nproc, date.
 * Output layouts follow what Android 13/14 prints.
 */
import { cpuCount, type SimProfile } from '../profile';
import type { ThermalModel } from '../thermal';
import { type Builtin, type CommandContext, type ProcessTable } from './interpret';

export interface AndroidState {
  profile: SimProfile;
  props: Map<string, string>;
  settings: Record<'global' | 'system' | 'secure', Map<string, string>>;
  thermal: ThermalModel;
  batteryLevel(): number;
  screenOn: boolean;
  /** Opens a VIEW intent's URL (in the headless browser); returns an error text or null. */
  openUrl(url: string): Promise<string | null>;
  forceStop(pkg: string): Promise<void>;
  processes: ProcessTable;
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, KILL: 9, TERM: 15, '0': 0, '1': 1, '2': 2, '9': 9, '15': 15 };

const STAY_ON: Record<string, number> = { true: 7, false: 0, ac: 1, usb: 2, wireless: 4 };
const PLUG_TYPE: Record<string, number> = { none: 0, ac: 1, usb: 2, wireless: 4 };

function fmt1(n: number): string {
  return (Math.round(n * 10) / 10).toFixed(1);
}

function dumpsysBattery(s: AndroidState): string {
  const p = s.profile.battery;
  const level = s.batteryLevel();
  const status = p.plugged === 'none' ? 3 : level >= 100 ? 5 : 2;
  return [
    'Current Battery Service state:',
    `  AC powered: ${p.plugged === 'ac'}`,
    `  USB powered: ${p.plugged === 'usb'}`,
    `  Wireless powered: ${p.plugged === 'wireless'}`,
    '  Max charging current: 500000',
    '  Max charging voltage: 5000000',
    `  Charge counter: ${level * 42000}`,
    `  status: ${status}`,
    '  health: 2',
    '  present: true',
    `  level: ${level}`,
    '  scale: 100',
    `  voltage: ${p.voltageMv}`,
    `  temperature: ${Math.round(s.thermal.batteryC() * 10)}`,
    `  technology: ${p.technology}`,
    '',
  ].join('\n');
}

function dumpsysThermal(s: AndroidState): string {
  const status = s.thermal.status();
  const temps: Array<[number, number, string]> = [
    [s.thermal.cpuC(), 0, 'cpu-therm'],
    [s.thermal.batteryC(), 2, 'battery'],
    [s.thermal.skinC(), 3, 'skin-therm'],
  ];
  const lines = temps.map(([v, type, name]) => `\tTemperature{mValue=${fmt1(v)}, mType=${type}, mName=${name}, mStatus=${type === 3 ? status : 0}}`);
  return [
    'IsStatusOverride: false',
    'ThermalEventListeners:',
    '\tcallbacks: 1',
    '\tkilled: false',
    '\tbroadcasts count: -1',
    'ThermalStatusListeners:',
    '\tcallbacks: 1',
    '\tkilled: false',
    '\tbroadcasts count: -1',
    `Thermal Status: ${status}`,
    'Cached temperatures:',
    ...lines,
    'HAL Ready: true',
    'HAL connection:',
    '\tThermalHAL 2.0 connected: yes',
    'Current temperatures from HAL:',
    ...lines,
    'Current cooling devices from HAL:',
    '\tCoolingDevice{mValue=0, mType=2, mName=cpu0}',
    '',
  ].join('\n');
}

function dumpsysPower(s: AndroidState): string {
  const stayOn = Number(s.settings.global.get('stay_on_while_plugged_in') ?? '0');
  const plug = PLUG_TYPE[s.profile.battery.plugged];
  return [
    'POWER MANAGER (dumpsys power)',
    '',
    'Power Manager State:',
    `  mWakefulness=${s.screenOn ? 'Awake' : 'Asleep'}`,
    `  mIsPowered=${plug !== 0}`,
    `  mPlugType=${plug}`,
    `  mBatteryLevel=${s.batteryLevel()}`,
    `  mStayOn=${(stayOn & plug) !== 0}`,
    `  mStayOnWhilePluggedInSetting=${stayOn}`,
    `  mHoldingDisplaySuspendBlocker=${s.screenOn}`,
    '',
  ].join('\n');
}

function parseMask(text: string): bigint | null {
  return /^(0x)?[0-9a-fA-F]+$/.test(text) ? BigInt(`0x${text.replace(/^0x/, '')}`) : null;
}

export function androidBuiltins(s: AndroidState): Map<string, Builtin> {
  const t = new Map<string, Builtin>();
  const out = (ctx: CommandContext, text: string) => ctx.io.out(text);
  const allMask = (1n << BigInt(cpuCount(s.profile))) - 1n;

  t.set('getprop', async (ctx) => {
    const [key, fallback] = ctx.args.slice(1);
    if (key === undefined) {
      const keys = [...s.props.keys()].sort();
      await out(ctx, keys.map((k) => `[${k}]: [${s.props.get(k)}]\n`).join(''));
      return 0;
    }
    await out(ctx, `${s.props.get(key) ?? fallback ?? ''}\n`);
    return 0;
  });
  t.set('setprop', async (ctx) => {
    const [key, value] = ctx.args.slice(1);
    if (key === undefined || value === undefined) {
      await ctx.io.err('usage: setprop NAME VALUE\n');
      return 1;
    }
    if (key.startsWith('ro.') || !/^(debug|log|persist\.log|vendor\.debug)\./.test(key)) {
      await ctx.io.err(`Failed to set property '${key}' to '${value}'.\nSee dmesg for error reason.\n`);
      return 1;
    }
    s.props.set(key, value);
    return 0;
  });
  t.set('dumpsys', async (ctx) => {
    const service = ctx.args[1];
    const text = service === 'battery' ? dumpsysBattery(s) : service === 'thermalservice' ? dumpsysThermal(s) : service === 'power' ? dumpsysPower(s) : null;
    if (text === null) {
      await ctx.io.err(`Can't find service: ${service ?? ''}\n`);
      return 0;
    }
    await out(ctx, text);
    return 0;
  });
  t.set('pm', async (ctx) => {
    const [verb, what] = ctx.args.slice(1);
    if (verb === 'list' && what === 'features') {
      await out(ctx, s.profile.features.map((f) => `feature:${f}\n`).join(''));
      return 0;
    }
    if (verb === 'list' && what === 'packages') {
      await out(ctx, ['com.android.chrome', 'com.android.shell', 'com.android.settings'].map((p) => `package:${p}\n`).join(''));
      return 0;
    }
    await ctx.io.err(`Error: unknown command '${verb ?? ''}' (the simulator knows: list features, list packages)\n`);
    return 255;
  });
  t.set('settings', async (ctx) => {
    const [verb, ns, key, value] = ctx.args.slice(1);
    const table = s.settings[ns as 'global' | 'system' | 'secure'];
    if (!table) {
      await ctx.io.err(`Invalid namespace '${ns ?? ''}'\n`);
      return 255;
    }
    if (verb === 'get' && key) return (await out(ctx, `${table.get(key) ?? 'null'}\n`), 0);
    if (verb === 'put' && key && value !== undefined) return (table.set(key, value), 0);
    if (verb === 'delete' && key) return (table.delete(key), 0);
    if (verb === 'list') return (await out(ctx, [...table].map(([k, v]) => `${k}=${v}\n`).join('')), 0);
    await ctx.io.err('usage: settings [--user USER] get|put|delete|list NAMESPACE [KEY [VALUE]]\n');
    return 255;
  });
  t.set('svc', async (ctx) => {
    const [what, verb, arg] = ctx.args.slice(1);
    if (what === 'power' && verb === 'stayon' && arg !== undefined && arg in STAY_ON) {
      s.settings.global.set('stay_on_while_plugged_in', String(STAY_ON[arg]));
      return 0;
    }
    await ctx.io.err('usage: svc power stayon [true|false|usb|ac|wireless]\n');
    return 1;
  });
  t.set('input', async (ctx) => {
    const [verb, key] = ctx.args.slice(1);
    if (verb !== 'keyevent' || key === undefined) {
      await ctx.io.err('Error: the simulator supports only: input keyevent KEY\n');
      return 1;
    }
    if (['KEYCODE_WAKEUP', '224', 'KEYCODE_POWER', '26'].includes(key)) s.screenOn = key === 'KEYCODE_WAKEUP' || key === '224' ? true : !s.screenOn;
    if (['KEYCODE_SLEEP', '223'].includes(key)) s.screenOn = false;
    return 0;
  });
  t.set('am', async (ctx) => {
    const args = ctx.args.slice(1);
    if (args[0] === 'force-stop' && args[1]) {
      await s.forceStop(args[1]);
      return 0;
    }
    if (args[0] !== 'start') {
      await ctx.io.err(`Error: the simulator supports only: am start -a ACTION -d URL, am force-stop PACKAGE\n`);
      return 1;
    }
    let action: string | undefined;
    let data: string | undefined;
    for (let i = 1; i < args.length; i++) {
      if (args[i] === '-a') action = args[++i];
      else if (args[i] === '-d') data = args[++i];
      else if (args[i] === '-n' || args[i] === '-c' || args[i] === '-t') i++;
    }
    await out(ctx, `Starting: Intent { ${action ? `act=${action} ` : ''}${data ? `dat=${data.replace(/\?.*/, '?...')} ` : ''}}\n`);
    if (action !== 'android.intent.action.VIEW' || !data) {
      await ctx.io.err('Error: Activity not started, unable to resolve Intent\n');
      return 0;
    }
    const error = await s.openUrl(data);
    if (error) await ctx.io.err(`Error: ${error}\n`);
    return 0;
  });
  t.set('taskset', async (ctx) => {
    const args = ctx.args.slice(1);
    if (args[0] === '-p' || args[0] === '-ap') {
      await out(ctx, `pid ${args[args.length - 1]}'s current affinity mask: ${(ctx.state.cpuMask ?? allMask).toString(16)}\n`);
      return 0;
    }
    const mask = args[0] === undefined ? null : parseMask(args[0]);
    if (mask === null || args.length < 2) {
      await ctx.io.err('usage: taskset [-ap] [mask] [PID | cmd [args...]]\n');
      return 1;
    }
    if ((mask & allMask) === 0n) {
      await ctx.io.err(`taskset: sched_setaffinity: Invalid argument\n`);
      return 1;
    }
    const previous = ctx.state.cpuMask;
    ctx.state.cpuMask = mask & allMask;
    try {
      return await ctx.exec(args.slice(1), ctx.io);
    } finally {
      ctx.state.cpuMask = previous;
    }
  });
  t.set('nproc', async (ctx) => {
    const mask = ctx.state.cpuMask ?? allMask;
    await out(ctx, `${mask.toString(2).split('').filter((b) => b === '1').length}\n`);
    return 0;
  });
  t.set('date', async (ctx) => {
    await out(ctx, ctx.args[1] === '+%s' ? `${Math.floor(Date.now() / 1000)}\n` : `${new Date().toUTCString()}\n`);
    return 0;
  });
  t.set('kill', async (ctx) => {
    let args = ctx.args.slice(1);
    let signal = 15;
    if (args[0] === '-s' && args[1]) {
      signal = SIGNALS[args[1].replace(/^SIG/, '')] ?? -1;
      args = args.slice(2);
    } else if (args[0]?.startsWith('-')) {
      signal = SIGNALS[args[0].slice(1).replace(/^SIG/, '')] ?? -1;
      args = args.slice(1);
    }
    if (signal < 0 || args.length === 0) {
      await ctx.io.err('usage: kill [-s SIGNAL | -SIGNAL] PID...\n');
      return 1;
    }
    let status = 0;
    for (const pid of args) {
      if (!/^\d+$/.test(pid) || !s.processes.kill(Number(pid), signal)) {
        await ctx.io.err(`kill: ${pid}: No such process\n`);
        status = 1;
      }
    }
    return status;
  });
  t.set('getenforce', async (ctx) => (await out(ctx, 'Enforcing\n'), 0));
  return t;
}
