/**
 * The Android host agent's entry: `start(config)` validates the configuration, connects to (or
 * starts) the adb server, hashes the runner once, and follows the phones plugged into this host;
 * each phone becomes a farm device with its own token. Environment and flags are read by the CLI.
 */
import { errorMessage } from '../../core/errors';
import { createLogger, type Logger } from '../runtime/log';
import { connectAdbServer } from './adb';
import { describeRunner } from './backend';
import { parseAndroidConfig, type AndroidAgentConfigInput } from './config';
import { TokenStore } from './enroll';
import { PhoneManager, type PhoneStatus } from './phones';

export interface AndroidAgentDeps {
  /** Where log lines go; default stderr. */
  writeLog?: (line: string) => void;
}

export interface RunningAndroidAgent {
  /** Ends every phone's session (jobs released) and stops following adb; idempotent. */
  stop(reason?: string): Promise<void>;
  phones(): PhoneStatus[];
  /** The adb server was started by this agent (it is left running, as adb does). */
  startedAdbServer: boolean;
  /** Resolves on every change of the phone list (tests, status displays). */
  onChange(listener: () => void): () => void;
}

export async function start(input: AndroidAgentConfigInput, deps: AndroidAgentDeps = {}): Promise<RunningAndroidAgent> {
  const config = parseAndroidConfig(input);
  const write = deps.writeLog ?? ((line: string) => process.stderr.write(line));
  const log: Logger = createLogger(write, { level: config.logLevel, secrets: [config.enrollToken], fields: { agent: 'android' } });
  const runner = config.runner ? await describeRunner(config.runner, config.runnerVersion ?? null) : null;
  if (config.mode === 'native' && !runner) log.warn('android.no_runner', { message: 'no --runner: phones must already have /data/local/tmp/ofa-farm/onnxruntime_perf_test' });
  const { client, started, bin } = await connectAdbServer({ port: config.adbPort, bin: config.adbBin });
  log.info('android.adb', { port: config.adbPort, startedServer: started, bin: bin ?? 'none (server already running)', runnerSha256: runner?.sha256.slice(0, 16) ?? null });
  const manager = new PhoneManager({
    client,
    config,
    tokens: new TokenStore(config.tokenFile),
    runner,
    log,
    phoneLog: (serial, token) => createLogger(write, { level: config.logLevel, secrets: [config.enrollToken, token], fields: { agent: 'android', phone: serial } }),
  });
  manager.start();
  let stopping: Promise<void> | null = null;
  return {
    stop: (reason = 'agent stopping') =>
      (stopping ??= manager.stop(reason, config.graceMs).catch((error) => log.error('android.stop_failed', { error: errorMessage(error) }))),
    phones: () => manager.status(),
    startedAdbServer: started,
    onChange: (listener) => {
      manager.on('change', listener);
      return () => manager.off('change', listener);
    },
  };
}
