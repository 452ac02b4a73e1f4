/**
 * The host agent's phones: adb's device tracker says which phones are plugged in; each phone in
 * `device` state gets a session (specs read, enrolled with its own token, one runtime connection
 * in native mode, or its browser opened in chrome mode). Unplugged or offline phones end their
 * session at once: the running job is released and the coordinator marks the device offline.
 */
import { EventEmitter } from 'node:events';
import { AuthError, FarmError, errorMessage } from '../../core/errors';
import type { AgentKind } from '../../core/protocol';
import { startAgent, type RunningAgent } from '../runtime/agent';
import { sleep } from '../runtime/abort';
import type { Logger } from '../runtime/log';
import { createNodePlatform } from '../runtime/node-platform';
import { bounded, deviceRequest, shell, type AdbClient, type AdbTracker } from './adb';
import { createAndroidBackend, type RunnerInfo } from './backend';
import { closeChrome, runChromeSession } from './chrome';
import type { AndroidAgentConfig } from './config';
import { FACTS_COMMAND, deviceName, parseDeviceFacts, type DeviceFacts } from './device-info';
import { enrollPhone, type PhoneCredentials, type TokenStore } from './enroll';

/** Enrollment attempts while the coordinator cannot be reached (about 8 hours with backoff). */
const MAX_ENROLL_ATTEMPTS = 1_000;

export interface PhoneStatus {
  adbSerial: string;
  serial: string | null;
  deviceName: string | null;
  state: 'starting' | 'running' | 'stopped' | 'failed';
  error: string | null;
}

interface Session {
  status: PhoneStatus;
  controller: AbortController;
  done: Promise<void>;
  agent: RunningAgent | null;
}

export interface PhoneManagerDeps {
  client: AdbClient;
  config: AndroidAgentConfig;
  tokens: TokenStore;
  runner: RunnerInfo | null;
  log: Logger;
  /** A logger for one phone's agent (its token redacted). */
  phoneLog: (serial: string, token: string) => Logger;
}

export class PhoneManager extends EventEmitter {
  private readonly sessions = new Map<string, Session>();
  private readonly controller = new AbortController();
  private tracking: Promise<void> | null = null;

  constructor(private readonly deps: PhoneManagerDeps) {
    super();
  }

  status(): PhoneStatus[] {
    return [...this.sessions.values()].map((s) => ({ ...s.status }));
  }

  start(): void {
    this.tracking ??= this.track();
  }

  /** Ends every session; a running job may finish within `graceMs`, then it is released. */
  async stop(reason = 'agent stopping', graceMs = 0): Promise<void> {
    this.controller.abort(new Error(reason));
    await Promise.all([...this.sessions.keys()].map((serial) => this.end(serial, reason, graceMs)));
    await this.tracking?.catch(() => {});
  }

  /** Follows adb's device list until stopped; reconnects to the adb server with backoff. */
  private async track(): Promise<void> {
    const { client, log } = this.deps;
    let failures = 0;
    while (!this.controller.signal.aborted) {
      try {
        const tracker = await bounded<AdbTracker>(client.trackDevices(), 'adb track-devices', 15_000, this.controller.signal);
        failures = 0;
        log.info('android.tracking', { adbPort: this.deps.config.adbPort });
        await new Promise<void>((resolve) => {
          const onDevice = (d: { id: string; type: string }) => (d.type === 'device' ? this.begin(d.id) : void this.end(d.id, `phone is ${d.type}`));
          tracker.on('add', onDevice);
          tracker.on('change', onDevice);
          tracker.on('remove', (d: { id: string }) => void this.end(d.id, 'phone unplugged'));
          tracker.on('end', () => resolve());
          tracker.on('error', (error: Error) => {
            log.warn('android.tracker_error', { error: error.message });
            resolve();
          });
          this.controller.signal.addEventListener('abort', () => (tracker.end(), resolve()), { once: true });
          // The tracker may have announced the phones already plugged in before these listeners
          // were attached: ask once more (begin() ignores phones it already serves).
          void bounded<Array<{ id: string; type: string }>>(client.listDevices(), 'adb devices', 15_000, this.controller.signal)
            .then((devices) => devices.filter((d) => d.type === 'device').forEach((d) => this.begin(d.id)))
            .catch((error) => log.warn('android.list_failed', { error: errorMessage(error) }));
        });
      } catch (error) {
        if (this.controller.signal.aborted) return;
        log.warn('android.adb_unreachable', { error: errorMessage(error), attempt: ++failures });
      }
      if (this.controller.signal.aborted) return;
      // The adb server went away: its phones are gone with it.
      await Promise.all([...this.sessions.keys()].map((serial) => this.end(serial, 'adb server connection lost')));
      await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), this.controller.signal).catch(() => {});
    }
  }

  private begin(adbSerial: string): void {
    if (this.controller.signal.aborted || this.sessions.has(adbSerial)) return;
    const controller = new AbortController();
    const session: Session = {
      status: { adbSerial, serial: null, deviceName: null, state: 'starting', error: null },
      controller,
      agent: null,
      done: Promise.resolve(),
    };
    this.sessions.set(adbSerial, session);
    session.done = this.run(session).catch((error) => {
      session.status.state = 'failed';
      session.status.error = errorMessage(error);
      if (!controller.signal.aborted) this.deps.log.error('android.phone_failed', { adbSerial, error: errorMessage(error) });
    });
    this.emit('change');
  }

  /** Ends a phone's session. An unplugged phone gets no grace: its job goes back to the queue now. */
  private async end(adbSerial: string, reason: string, graceMs = 0): Promise<void> {
    const session = this.sessions.get(adbSerial);
    if (!session) return;
    this.sessions.delete(adbSerial);
    this.deps.log.info('android.phone_gone', { adbSerial, device: session.status.deviceName, reason });
    const stopping = session.agent?.stop({ graceMs, reason }).catch(() => {});
    if (graceMs === 0) session.controller.abort(new Error(reason));
    await stopping;
    session.controller.abort(new Error(reason));
    await session.done;
    session.status.state = session.status.state === 'failed' ? 'failed' : 'stopped';
    this.emit('change');
  }

  private async readFacts(adbSerial: string, signal: AbortSignal): Promise<DeviceFacts> {
    const device = this.deps.client.getDevice(adbSerial);
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        return parseDeviceFacts(adbSerial, await shell(device, FACTS_COMMAND, { timeoutMs: 30_000, signal }));
      } catch (error) {
        if (signal.aborted) throw error;
        lastError = error;
        await sleep(1_000 * attempt, signal);
      }
    }
    throw new Error(`cannot read the phone's properties: ${errorMessage(lastError)}`);
  }

  private async credentials(facts: DeviceFacts, kind: AgentKind, signal: AbortSignal, fresh: boolean): Promise<PhoneCredentials> {
    const { config, tokens } = this.deps;
    if (!fresh) {
      const stored = tokens.get(config.server, facts.serial, kind);
      if (stored) return stored;
    }
    // A coordinator that is down or restarting is waited for (with backoff, until the phone goes
    // away); a refused enrollment token or a bad name is final.
    let creds: PhoneCredentials | null = null;
    for (let attempt = 1; !creds; attempt++) {
      try {
        creds = await enrollPhone({ server: config.server, enrollToken: config.enrollToken, name: deviceName(facts, kind === 'browser' ? '-chrome' : ''), kind, host: config.host ?? null, signal });
      } catch (error) {
        const transient = error instanceof FarmError && error.constructor === FarmError;
        if (signal.aborted || !transient || attempt >= MAX_ENROLL_ATTEMPTS) throw error;
        this.deps.log.warn('android.enroll_retry', { serial: facts.serial, attempt, error: errorMessage(error) });
        await sleep(Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5)), signal);
      }
    }
    tokens.set(config.server, facts.serial, kind, creds);
    this.deps.log.info('android.enrolled', { serial: facts.serial, device: creds.name, kind });
    return creds;
  }

  private async run(session: Session): Promise<void> {
    const { config, client, log } = this.deps;
    const { adbSerial } = session.status;
    const signal = session.controller.signal;
    const facts = await this.readFacts(adbSerial, signal);
    session.status.serial = facts.serial;
    if (config.serials.length && !config.serials.includes(adbSerial) && !config.serials.includes(facts.serial)) {
      log.info('android.phone_skipped', { adbSerial, serial: facts.serial, reason: 'not in --serial' });
      session.status.state = 'stopped';
      return;
    }
    const kind: AgentKind = config.mode === 'chrome' ? 'browser' : 'android';
    const device = client.getDevice(adbSerial);
    for (let round = 0; round < 2; round++) {
      const creds = await this.credentials(facts, kind, signal, round > 0);
      session.status.deviceName = creds.name;
      log.info('android.phone_ready', { adbSerial, serial: facts.serial, device: creds.name, model: facts.props['ro.product.model'] ?? null, mode: config.mode, simulated: facts.simulated });
      session.status.state = 'running';
      this.emit('change');
      if (config.mode === 'chrome') {
        try {
          await runChromeSession({ device, serial: facts.serial, server: config.server, token: creds.token, deviceName: creds.name, log, signal });
        } finally {
          await closeChrome(device, config.server, (service) => deviceRequest({ port: config.adbPort }, adbSerial, service));
        }
        return;
      }
      const phoneLog = this.deps.phoneLog(facts.serial, creds.token);
      const backend = createAndroidBackend({
        device,
        facts,
        runner: this.deps.runner,
        cores: config.cores,
        threads: config.threads ?? null,
        thermal: { maxBatteryC: config.maxBatteryC, maxThermalStatus: config.maxThermalStatus, waitMaxMs: config.coolWaitMs, pollMs: config.coolPollMs },
        keepAwake: config.keepAwake,
        log: phoneLog,
      });
      if (signal.aborted) return void (await backend.close());
      const agent = await startAgent({
        server: config.server,
        token: creds.token,
        backend,
        platform: createNodePlatform({ cacheDir: config.cacheDir, token: creds.token, log: phoneLog }),
        host: config.host ?? null,
        log: phoneLog,
      });
      session.agent = agent;
      if (signal.aborted) await agent.stop({ graceMs: 0, reason: 'phone gone' });
      const exit = await agent.finished;
      session.agent = null;
      if (exit.code === 'auth_failed' && !agent.status().deviceId && round === 0 && !signal.aborted) {
        // A stale token from an earlier farm database: enroll again, once.
        log.warn('android.token_rejected', { serial: facts.serial, device: creds.name, message: exit.message });
        this.deps.tokens.delete(config.server, facts.serial, kind);
        continue;
      }
      if (exit.code === 'auth_failed') {
        this.deps.tokens.delete(config.server, facts.serial, kind);
        throw new AuthError(`the coordinator no longer accepts ${creds.name} (${exit.message}); re-plug the phone to enroll it again`);
      }
      if (exit.fatal) throw new Error(`agent for ${creds.name} ended: ${exit.message}`);
      return;
    }
  }
}
