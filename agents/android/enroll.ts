/**
 * Device tokens for phones: each phone is registered once with the enrollment token (which may
 * only register devices) and gets its own device token, kept in a 0600 file on this host keyed
 * by coordinator, phone serial and kind, so re-plugging a phone reuses its farm identity.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuthError, ConflictError, FarmError, ValidationError } from '../../core/errors';
import type { AgentKind } from '../../core/protocol';

export interface PhoneCredentials {
  name: string;
  token: string;
  deviceId: string | null;
}

interface StoreFile {
  version: 1;
  devices: Record<string, PhoneCredentials & { enrolledAt: string }>;
}

export class TokenStore {
  constructor(readonly path: string) {}

  private key(server: string, serial: string, kind: AgentKind): string {
    return `${new URL(server).origin}|${serial}|${kind}`;
  }

  private read(): StoreFile {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as StoreFile;
      if (parsed?.version === 1 && parsed.devices && typeof parsed.devices === 'object') return parsed;
      throw new ValidationError(`${this.path} is not an ofa-farm phone token file`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, devices: {} };
      if (error instanceof ValidationError) throw error;
      throw new ValidationError(`${this.path} cannot be read (${(error as Error).message}); move it away to enroll phones again`);
    }
  }

  private write(file: StoreFile): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }

  get(server: string, serial: string, kind: AgentKind): PhoneCredentials | null {
    const entry = this.read().devices[this.key(server, serial, kind)];
    return entry ? { name: entry.name, token: entry.token, deviceId: entry.deviceId ?? null } : null;
  }

  set(server: string, serial: string, kind: AgentKind, creds: PhoneCredentials): void {
    const file = this.read();
    file.devices[this.key(server, serial, kind)] = { ...creds, enrolledAt: new Date().toISOString() };
    this.write(file);
  }

  delete(server: string, serial: string, kind: AgentKind): void {
    const file = this.read();
    if (delete file.devices[this.key(server, serial, kind)]) this.write(file);
  }
}

export interface EnrollOptions {
  server: string;
  enrollToken: string;
  name: string;
  kind: AgentKind;
  host: string | null;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Names tried after `name` is taken: name-2, name-3 ... */
  maxNameAttempts?: number;
}

async function post(url: string, token: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<{ status: number; json: unknown }> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  let json: unknown = null;
  try {
    json = await response.json();
  } catch {
    // not JSON: handled by the status
  }
  return { status: response.status, json };
}

/** Registers a phone through POST /api/enroll; a taken name gets a numeric suffix. */
export async function enrollPhone(opts: EnrollOptions): Promise<PhoneCredentials> {
  const url = new URL('api/enroll', opts.server.endsWith('/') ? opts.server : `${opts.server}/`).toString();
  const attempts = opts.maxNameAttempts ?? 5;
  for (let i = 1; i <= attempts; i++) {
    const name = i === 1 ? opts.name : `${opts.name.slice(0, 95)}-${i}`;
    let reply: { status: number; json: unknown };
    try {
      reply = await post(url, opts.enrollToken, { name, kind: opts.kind, host: opts.host }, opts.timeoutMs ?? 15_000, opts.signal);
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      throw new FarmError(`cannot reach the coordinator at ${url} to enroll ${name}: ${(error as Error).message}`);
    }
    const body = reply.json as { device?: { id?: string; name?: string }; token?: string; error?: { message?: string } } | null;
    const message = body?.error?.message ?? `HTTP ${reply.status}`;
    if (reply.status === 201 && typeof body?.token === 'string') {
      return { name: body.device?.name ?? name, token: body.token, deviceId: body.device?.id ?? null };
    }
    if (reply.status === 409) continue;
    if (reply.status === 401 || reply.status === 403) throw new AuthError(`the coordinator refused the enrollment token: ${message}`);
    if (reply.status === 400) throw new ValidationError(`the coordinator refused to enroll ${name}: ${message}`);
    throw new FarmError(`enrolling ${name} failed: ${message}`);
  }
  throw new ConflictError(`device names ${opts.name} .. ${opts.name}-${attempts} are all taken on the coordinator`);
}
