/**
 * One simulated phone: its profile, state (properties, settings, thermal model, screen), file
 * system sandbox and the adb services it offers (`shell:`, `exec:`, `sync:`, `reverse:`).
 */
import { posix } from 'node:path';
import { ReverseRules, serveReverse } from './reverse-service';
import { runPerfTest } from './perf-test';
import type { SimProfile } from './profile';
import { androidBuiltins, type AndroidState } from './shell/builtins-android';
import { fsBuiltins } from './shell/builtins-fs';
import { Shell, type Builtin, type CommandContext, type ProcessTable, type ShellHost } from './shell/interpret';
import type { SimStream } from './stream';
import { serveSync } from './sync-service';
import { systemFiles } from './system-files';
import { ThermalModel } from './thermal';
import type { DeviceConnection, ServiceHandler, ServiceTable } from './transport';
import { Vfs } from './vfs';

export interface BrowserHook {
  open(url: string, device: SimDevice): Promise<string | null>;
  stop(): Promise<void>;
}

export class SimDevice implements AndroidState, ServiceTable, ShellHost {
  readonly props: Map<string, string>;
  readonly settings: AndroidState['settings'];
  readonly thermal: ThermalModel;
  readonly vfs: Vfs;
  readonly builtins: ReadonlyMap<string, Builtin>;
  readonly reverse = new Map<DeviceConnection, ReverseRules>();
  screenOn = true;
  private readonly procs = new Map<number, AbortController>();
  private nextPid = 4000 + Math.floor(Math.random() * 20_000);
  readonly processes: ProcessTable = {
    spawn: (controller) => {
      const pid = this.nextPid++;
      this.procs.set(pid, controller);
      return pid;
    },
    exit: (pid) => void this.procs.delete(pid),
    kill: (pid, signal) => {
      const controller = this.procs.get(pid);
      if (!controller) return false;
      if (signal !== 0) controller.abort(signal);
      return true;
    },
  };
  /** Commands run so far, newest last (bounded): what a demo or a test can inspect. */
  readonly history: string[] = [];

  constructor(
    readonly profile: SimProfile,
    sandbox: string,
    private readonly browser: BrowserHook | null,
    readonly log: (message: string) => void = () => {},
  ) {
    this.props = new Map(Object.entries(profile.props));
    this.props.set('ro.serialno', profile.serial);
    this.props.set('ro.boot.serialno', profile.serial);
    this.props.set('sys.boot_completed', '1');
    // Marks the phone as simulated, so an agent can say so in every measurement's provenance.
    this.props.set('ro.ofa_farm.simulator', 'android-sim');
    this.props.set('ro.ofa_farm.sim.profile', profile.name);
    this.props.set('ro.ofa_farm.sim.slowdown', String(profile.perfTest.slowdown));
    this.settings = {
      global: new Map(Object.entries({ stay_on_while_plugged_in: '0', ...profile.settings.global })),
      system: new Map(Object.entries({ screen_off_timeout: '30000', ...profile.settings.system })),
      secure: new Map(Object.entries(profile.settings.secure)),
    };
    this.thermal = new ThermalModel(profile.thermal);
    let files: Map<string, () => string> | null = null;
    this.vfs = new Vfs(sandbox, () => (files ??= systemFiles(profile, this)));
    const abi = profile.props['ro.product.cpu.abi'] ?? 'arm64-v8a';
    const release = /Linux version (\S+)/.exec(profile.kernel)?.[1] ?? '5.10.0';
    this.builtins = new Map([...fsBuiltins(this.vfs, { machine: abi.startsWith('arm64') ? 'aarch64' : abi, release }), ...androidBuiltins(this)]);
  }

  batteryLevel(): number {
    return this.profile.battery.level;
  }

  banner(): string {
    const p = (k: string, d: string) => this.props.get(k) ?? d;
    const clean = (v: string) => v.replace(/[:;=]/g, '_');
    return `device::ro.product.name=${clean(p('ro.product.name', 'sim'))};ro.product.model=${clean(p('ro.product.model', 'sim'))};ro.product.device=${clean(p('ro.product.device', 'sim'))};features=`;
  }

  resolve(service: string): ServiceHandler | null {
    if (service.startsWith('shell:') || service.startsWith('exec:')) {
      const command = service.slice(service.indexOf(':') + 1);
      if (command.trim() === '') return null; // interactive shells need a PTY: not simulated
      return (stream) => this.runShell(command, stream);
    }
    if (service === 'sync:') return (stream) => serveSync(stream, this.vfs, this.log);
    if (service.startsWith('reverse:')) {
      return (stream, conn) => {
        let rules = this.reverse.get(conn);
        if (!rules) {
          rules = new ReverseRules();
          this.reverse.set(conn, rules);
          conn.onClose(() => this.reverse.delete(conn));
        }
        serveReverse(stream, rules, service.slice('reverse:'.length));
      };
    }
    return null;
  }

  execFile(path: string, ctx: CommandContext): Promise<number> | null {
    if (posix.basename(path) === 'onnxruntime_perf_test') {
      return runPerfTest(ctx.args.slice(1), {
        vfs: this.vfs,
        profile: this.profile,
        thermal: this.thermal,
        cpuMask: ctx.state.cpuMask,
        cwd: ctx.state.cwd,
        out: ctx.io.out,
        err: ctx.io.err,
        signal: ctx.signal,
      });
    }
    const head = this.vfs.read(path).subarray(0, 64).toString('latin1');
    if (head.startsWith('#!') && /\bsh\b/.test(head.split('\n')[0])) {
      return new Shell(this).run(this.vfs.read(path).toString('utf8'), ctx.io, ctx.signal);
    }
    return null;
  }

  async openUrl(url: string): Promise<string | null> {
    if (!this.browser) return 'no browser in this simulator (start it with a browser to open URLs)';
    this.screenOn = true;
    return this.browser.open(url, this);
  }

  async forceStop(pkg: string): Promise<void> {
    if (pkg === 'com.android.chrome' && this.browser) await this.browser.stop();
  }

  /** The host-side socket a device TCP port is reversed to, with the transport carrying it. */
  reverseTarget(devicePort: number): { conn: DeviceConnection; local: string } | null {
    for (const [conn, rules] of this.reverse) {
      const local = rules.lookup(devicePort);
      if (local && conn.isOnline) return { conn, local };
    }
    return null;
  }

  private async runShell(command: string, stream: SimStream): Promise<void> {
    this.history.push(command);
    if (this.history.length > 500) this.history.splice(0, this.history.length - 500);
    stream.onData(() => {}); // v1 shell: stdin is acknowledged and ignored
    const write = (data: string | Buffer) => stream.write(data);
    try {
      await new Shell(this).run(command, { out: write, err: write, stdin: null }, stream.signal);
    } catch (error) {
      this.log(`shell "${command.slice(0, 80)}" failed: ${(error as Error).message}`);
      await write(`/system/bin/sh: internal simulator error: ${(error as Error).message}\n`);
    } finally {
      stream.close();
    }
  }
}
