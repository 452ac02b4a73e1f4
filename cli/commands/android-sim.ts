/**
 * `ofa-farm android-sim`: a simulated Android phone that the real adb server attaches with
 * `adb connect 127.0.0.1:PORT` (agents/android/sim/README.md says what it simulates and what not).
 */
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors';
import type { CliContext } from '../main';
import { parseInteger, parseNumber } from '../options';
import { writeJsonLine } from '../output';

interface SimOptions {
  serial?: string;
  profile: string;
  port: string;
  host: string;
  sandbox?: string;
  startTemp?: string;
  connect?: boolean;
  adbPort: string;
  browser?: boolean;
  chromium?: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerAndroidSimCommand(program: Command, ctx: CliContext): void {
  program
    .command('android-sim')
    .description('Run a simulated Android phone speaking the adb transport protocol (attach it with `adb connect 127.0.0.1:PORT`); runs until Ctrl-C')
    .option('--serial <name>', "the phone's serial (ro.serialno); default: the profile's")
    .option('--profile <file|name>', 'profile JSON file, or a shipped one: pixel-7, galaxy-a54', 'pixel-7')
    .option('--port <port>', 'TCP port to listen on (0 = any free one; 5555-5585 are refused: adb probes them as emulators)', '0')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--sandbox <dir>', 'where pushed files land (default: a temporary directory, removed on exit)')
    .option('--start-temp <celsius>', "the phone's skin temperature at start (default: the profile's)")
    .option('--connect', 'also run `adb connect` against the adb server (and disconnect on exit)')
    .option('--adb-port <port>', 'the adb server port for --connect (or ANDROID_ADB_SERVER_PORT)', process.env.ANDROID_ADB_SERVER_PORT ?? '5037')
    .option('--browser', "open `am start` URLs in headless Chromium (the phone's Chrome)")
    .option('--chromium <path>', 'browser executable for --browser', '/usr/bin/chromium')
    .option('--json', 'print one JSON line describing the running phone')
    .option('--quiet', 'do not log what the phone is asked to do')
    .action(async (opts: SimOptions) => {
      const port = parseInteger(opts.port, '--port', 0, 65535);
      const adbPort = parseInteger(opts.adbPort, '--adb-port', 1, 65535);
      const startTempC = opts.startTemp === undefined ? undefined : parseNumber(opts.startTemp, '--start-temp', -20, 100);
      if (opts.serial !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(opts.serial)) throw new ValidationError(`--serial "${opts.serial}" must be 1-64 letters, digits, dots, dashes or underscores`);
      const { loadProfile } = await import('../../agents/android/sim/profile');
      const { startAndroidSim } = await import('../../agents/android/sim/main');
      const profile = loadProfile(opts.profile);
      const log = (message: string) => {
        if (!opts.quiet) ctx.io.err.write(`android-sim: ${message}\n`);
      };
      const browser = opts.browser ? (await import('../../agents/android/sim/browser')).createSimBrowser({ executablePath: opts.chromium, log }) : null;
      const sim = await startAndroidSim({ profile, port, host: opts.host, serial: opts.serial, sandbox: opts.sandbox, startTempC, browser, log });
      let disconnect = async () => {};
      if (opts.connect) {
        const { connectAdbServer, bounded } = await import('../../agents/android/adb');
        try {
          const { client } = await connectAdbServer({ port: adbPort });
          const said = await bounded(client.connect(sim.host, sim.port), 'adb connect', 15_000);
          log(`adb: ${String(said)}`);
          disconnect = async () => void (await bounded(client.disconnect(sim.host, sim.port), 'adb disconnect', 10_000).catch(() => {}));
        } catch (error) {
          await sim.stop();
          throw error;
        }
      }
      const summary = { adbSerial: sim.adbSerial, port: sim.port, serial: sim.serial, profile: profile.name, model: profile.props['ro.product.model'] ?? null, slowdown: profile.perfTest.slowdown };
      if (opts.json) writeJsonLine(ctx.io, summary);
      else ctx.io.out.write(`simulated ${summary.model ?? profile.name} (serial ${sim.serial}) listening on ${sim.adbSerial}\n${opts.connect ? '' : `attach it with: adb connect ${sim.adbSerial}\n`}`);
      await new Promise<void>((resolve) => {
        const onSignal = () => resolve();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      await disconnect();
      await sim.stop();
      log('stopped');
    });
}
