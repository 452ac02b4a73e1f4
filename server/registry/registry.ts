/**
 * The device registry, as the coordinator uses it: registration (a token shown once, its hash
 * stored), authentication of agents, liveness (hello, heartbeats, going offline) and the views the
 * API shows. It knows nothing of sockets or HTTP.
 */
import { AuthError, ValidationError } from '../../core/errors';
import { AGENT_KINDS, type AgentKind, type DeviceDescription } from '../../core/protocol';
import type { Db } from '../../db/client';
import { findDeviceByTokenHash, listDevices, markDeviceConnected, markDeviceOffline, registerDevice, removeDevice, requireDeviceByName, touchDevice, type DeviceListing } from '../../db/queries/devices';
import { rotateDeviceToken } from '../../db/queries/device-tokens';
import { createEnrollmentToken, registerDeviceWithEnrollment } from '../../db/queries/enrollment';
import type { SettledJob } from '../../db/queries/job-settle';
import type { DeviceRow } from '../../db/schema/devices';
import { generateToken, hashToken } from '../../db/secrets';
import type { AuthLimiter } from './auth-limiter';
import type { LivenessWriter } from './liveness';

/** A device as the API shows it: never its token hash. */
export interface DeviceView {
  id: string;
  name: string;
  kind: AgentKind;
  host: string | null;
  hostKey: string;
  status: DeviceRow['status'];
  statusSince: string;
  lastSeenAt: string | null;
  description: DeviceDescription | null;
  agentVersion: string | null;
  createdAt: string;
  measurementCount: number;
  failedCount: number;
}

export function deviceView(row: DeviceRow | DeviceListing): DeviceView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    host: row.host,
    hostKey: row.hostKey,
    status: row.status,
    statusSince: row.statusSince.toISOString(),
    lastSeenAt: row.lastSeenAt ? row.lastSeenAt.toISOString() : null,
    description: row.description ?? null,
    agentVersion: row.agentVersion,
    createdAt: row.createdAt.toISOString(),
    measurementCount: 'measurementCount' in row ? row.measurementCount : 0,
    failedCount: 'failedCount' in row ? row.failedCount : 0,
  };
}

export interface NewDeviceInput {
  name: string;
  kind: AgentKind;
  host?: string | null;
}

export interface HelloInfo {
  kind: AgentKind;
  agentVersion: string;
  device: DeviceDescription;
  host: string | null;
}

export class DeviceRegistry {
  constructor(
    private readonly db: Db,
    private readonly limiter: AuthLimiter,
    /** Batches heartbeat writes; without it each heartbeat is written at once. */
    private readonly liveness: LivenessWriter | null = null,
  ) {}

  /** Registers a device; the token is returned here once and never again. */
  async add(input: NewDeviceInput): Promise<{ device: DeviceView; token: string }> {
    if (!(AGENT_KINDS as readonly string[]).includes(input.kind)) throw new ValidationError(`--kind must be one of ${AGENT_KINDS.join(', ')}, got "${input.kind}"`);
    const token = generateToken('device');
    const row = await registerDevice(this.db, { name: input.name, kind: input.kind, host: input.host ?? null, tokenHash: hashToken(token) });
    return { device: deviceView(row), token };
  }

  /** Registers a device with an enrollment token (android host agents); the device token is returned once. */
  async enroll(enrollmentToken: string, input: NewDeviceInput, client: string): Promise<{ device: DeviceView; token: string }> {
    this.limiter.check(client);
    const token = generateToken('device');
    try {
      const row = await registerDeviceWithEnrollment(this.db, hashToken(enrollmentToken), { name: input.name, kind: input.kind, host: input.host ?? null, tokenHash: hashToken(token) });
      this.limiter.succeed(client);
      return { device: deviceView(row), token };
    } catch (error) {
      if (error instanceof AuthError) this.limiter.fail(client);
      throw error;
    }
  }

  /** A new enrollment token (shown once): it may only register devices. */
  async createEnrollmentToken(opts: { label?: string; maxUses?: number | null; expiresAt?: Date | null }): Promise<{ id: string; token: string; expiresAt: string | null; maxUses: number | null }> {
    const token = generateToken('enroll');
    const row = await createEnrollmentToken(this.db, { tokenHash: hashToken(token), label: opts.label, maxUses: opts.maxUses ?? null, expiresAt: opts.expiresAt ?? null });
    return { id: row.id, token, expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null, maxUses: row.maxUses };
  }

  async remove(name: string): Promise<{ device: DeviceView; cancelledJobs: number; cancelledSweeps: number }> {
    const device = await requireDeviceByName(this.db, name);
    const removed = await removeDevice(this.db, device.id);
    return { ...removed, device: deviceView(removed.device) };
  }

  /** A new token for an existing device (shown once); the old one stops working. */
  async rotateToken(name: string): Promise<{ device: DeviceView; token: string }> {
    const device = await requireDeviceByName(this.db, name);
    const token = generateToken('device');
    const row = await rotateDeviceToken(this.db, device.id, hashToken(token));
    return { device: deviceView(row), token };
  }

  async list(): Promise<DeviceView[]> {
    return (await listDevices(this.db)).map(deviceView);
  }

  async get(name: string): Promise<DeviceView> {
    const device = await requireDeviceByName(this.db, name);
    const listed = (await listDevices(this.db)).find((d) => d.id === device.id);
    return deviceView(listed ?? device);
  }

  async requireByName(name: string): Promise<DeviceRow> {
    return requireDeviceByName(this.db, name);
  }

  /** The device a token belongs to; an AuthError (counted against the client's address) otherwise. */
  async authenticate(token: string, client: string): Promise<DeviceRow> {
    this.limiter.check(client);
    const device = await findDeviceByTokenHash(this.db, hashToken(token));
    if (!device) {
      this.limiter.fail(client);
      throw new AuthError('device token is not valid (unknown or removed device)');
    }
    this.limiter.succeed(client);
    return device;
  }

  async connected(device: DeviceRow, hello: HelloInfo): Promise<DeviceRow> {
    if (hello.kind !== device.kind) {
      throw new AuthError(`this token belongs to ${device.kind} device "${device.name}", but the agent is a ${hello.kind} agent`);
    }
    return markDeviceConnected(this.db, device.id, { description: hello.device, agentVersion: hello.agentVersion, reportedHost: hello.host });
  }

  /** A sign of life: online, or busy while measuring. */
  async seen(deviceId: string, busy: boolean): Promise<void> {
    if (this.liveness) this.liveness.mark(deviceId, busy);
    else await touchDevice(this.db, deviceId, { status: busy ? 'busy' : 'online' });
  }

  /** Offline now; its leased jobs return to the queue, charged. */
  async offline(deviceId: string, reason: string): Promise<SettledJob[]> {
    this.liveness?.forget(deviceId);
    return markDeviceOffline(this.db, deviceId, { reason });
  }
}
