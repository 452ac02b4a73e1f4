/** `ofa-farm agent android`: the phones plugged into this host join a coordinator over adb. */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../core/errors';
import { commandGroup, type CliContext } from '../main';
import { parseChoice, parseInteger, parseNumber } from '../options';

interface AndroidOptions {
  server: string;
  enrollToken?: string;
  serial: string[];
  mode: string;
  runner?: string;
  runnerVersion?: string;
  cores?: string;
  threads?: string;
  adbPort: string;
  adb?: string;
  tokens?: string;
  cache?: string;
  host?: string;
  maxBatteryTemp: string;
  maxThermalStatus: string;
  coolWait: string;
  keepAwake: boolean;
  graceMs: string;
  logLevel: string;
}

export function registerAgentAndroidCommand(program: Command, ctx: CliContext): void {
  const agent = commandGroup(program, 'agent', 'Run a device agent that measures models for a coordinator');
  agent
    .command('android')
    .description('Serve the Android phones plugged into this host (over adb): each joins the farm as its own device; runs until Ctrl-C')
    .option('--server <url>', 'coordinator URL (or OFA_FARM_SERVER)', process.env.OFA_FARM_SERVER ?? 'http://127.0.0.1:7070')
    .option('--enroll-token <token>', 'enrollment token from `ofa-farm device enroll-token` (prefer OFA_FARM_ENROLL_TOKEN: flags show in ps)')
    .option('--serial <serial>', 'only this phone (adb serial or ro.serialno); repeat for several', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--mode <mode>', "native: onnxruntime_perf_test over adb shell; chrome: the farm's agent page in the phone's Chrome", 'native')
    .option('--runner <path>', 'an Android build of onnxruntime_perf_test, pushed once per phone (checked by sha256)')
    .option('--runner-version <text>', 'what the runner is (e.g. "onnxruntime 1.20.1 arm64"), recorded in every measurement')
    .option('--cores <list>', 'pin the runner to these CPUs with taskset, e.g. 4-7')
    .option('--threads <n>', 'intra-op threads when a job does not say (default: onnxruntime decides)')
    .option('--adb-port <port>', 'adb server port (or ANDROID_ADB_SERVER_PORT)', process.env.ANDROID_ADB_SERVER_PORT ?? '5037')
    .option('--adb <path>', 'adb binary used to start the server when none runs (default: adb on PATH)')
    .option('--tokens <file>', "where the phones' device tokens are kept, mode 0600 (default: <cache>/android-phones.json)")
    .option('--cache <dir>', 'model cache and result outbox directory (default: ~/.cache/ofa-farm)')
    .option('--host <key>', 'same-host key for all phones (default: none, each phone measures independently)')
    .option('--max-battery-temp <celsius>', 'wait before a job while the battery is warmer than this', '40')
    .option('--max-thermal-status <n>', 'wait while the thermal status is above this (0 none, 1 light, 2 moderate ...)', '1')
    .option('--cool-wait <seconds>', 'longest wait for a phone to cool down before measuring anyway (recorded)', '300')
    .option('--no-keep-awake', 'do not keep the screen on while measuring')
    .option('--grace-ms <ms>', 'on SIGINT/SIGTERM, how long running jobs may finish before they are released', '5000')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (opts: AndroidOptions) => {
      const enrollToken = opts.enrollToken ?? process.env.OFA_FARM_ENROLL_TOKEN;
      if (!enrollToken) throw new ValidationError('an enrollment token is required: --enroll-token T or OFA_FARM_ENROLL_TOKEN (create one with `ofa-farm device enroll-token`)');
      const xdg = process.env.XDG_CACHE_HOME;
      const cacheDir = opts.cache ?? (xdg ? join(xdg, 'ofa-farm') : join(homedir(), '.cache', 'ofa-farm'));
      const graceMs = parseInteger(opts.graceMs, '--grace-ms', 0, 600_000);
      const { start } = await import('../../agents/android/main');
      const running = await start(
        {
          server: opts.server,
          enrollToken,
          serials: opts.serial,
          mode: parseChoice(opts.mode, '--mode', ['native', 'chrome'] as const),
          runner: opts.runner,
          runnerVersion: opts.runnerVersion,
          cores: opts.cores,
          threads: opts.threads === undefined ? undefined : parseInteger(opts.threads, '--threads', 1, 64),
          adbPort: parseInteger(opts.adbPort, '--adb-port', 1, 65535),
          adbBin: opts.adb,
          tokenFile: opts.tokens ?? join(cacheDir, 'android-phones.json'),
          cacheDir,
          host: opts.host,
          maxBatteryC: parseNumber(opts.maxBatteryTemp, '--max-battery-temp', 0, 80),
          maxThermalStatus: parseInteger(opts.maxThermalStatus, '--max-thermal-status', 0, 6),
          coolWaitMs: parseNumber(opts.coolWait, '--cool-wait', 0, 3600) * 1000,
          keepAwake: opts.keepAwake,
          graceMs,
          logLevel: parseChoice(opts.logLevel, '--log-level', ['debug', 'info', 'warn', 'error'] as const),
        },
        { writeLog: (line) => ctx.io.err.write(line) },
      );
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          signals++;
          if (signals === 1) {
            ctx.io.err.write(`ofa-farm: ${signal}: stopping (running jobs get ${graceMs} ms to finish, then are released)\n`);
            void running.stop(`received ${signal}`).then(resolve);
          } else {
            ctx.io.err.write(`ofa-farm: ${signal} again: exiting now; unsent results stay in the outbox\n`);
            process.exit(130);
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
    });
}
