/**
 * The coordinator: one process, one port. Hono serves the HTTP API and artifacts; `ws` serves
 * the agent WebSocket on the same Node server. `startCoordinator(opts)` wires the parts and
 * returns a handle whose `stop()` shuts everything down in order (agents first, database last).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createAdaptorServer } from '@hono/node-server';
import { z } from 'zod';
import { openDb, resolveDbTarget, type DbHandle } from '../db/client';
import { ArtifactStore } from './artifacts/artifact-store';
import { DEFAULT_PORT, ensureAdminToken, farmHome } from './home';
import { buildApp } from './http/app';
import { cutSilentConnections } from './http/connection-deadline';
import { AuthLimiter } from './registry/auth-limiter';
import { LivenessWriter } from './registry/liveness';
import { Reaper } from './registry/reaper';
import { DeviceRegistry } from './registry/registry';
import { Dispatcher } from './scheduler/dispatcher';
import { SweepService } from './scheduler/sweeps';
import { TwinRefitter } from './twins/refitter';
import { AgentHub } from './ws/hub';
import { FarmEventBus } from './events';

export const CoordinatorOptions = z.object({
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
  /** Bind address: 127.0.0.1 keeps the farm on this machine; 0.0.0.0 lets agents elsewhere join. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Farm home: the embedded database and the admin token file. */
  home: z.string().min(1).default('.ofa-farm'),
  /** PostgreSQL URL; absent = PGlite under the farm home. */
  dbUrl: z.string().min(1).nullable().default(null),
  /** Admin token; absent = the one stored in the farm home (generated on first start). */
  adminToken: z.string().optional(),
  /** How often agents send heartbeats (told in `welcome`). */
  heartbeatMs: z.number().int().min(100).max(600_000).default(2000),
  /** Lease length; heartbeats and progress naming the job extend it. */
  leaseMs: z.number().int().min(500).max(24 * 3600_000).default(60_000),
  /** A device silent this long is offline and its job returns to the queue. */
  offlineAfterMs: z.number().int().min(300).max(3600_000).default(15_000),
  helloTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
  reaperIntervalMs: z.number().int().min(50).max(600_000).default(1000),
});
export type CoordinatorOptionsInput = z.input<typeof CoordinatorOptions>;

export interface Coordinator {
  /** http://host:port (127.0.0.1 when bound to every interface). */
  url: string;
  port: number;
  instanceId: string;
  adminToken: string;
  /** Where the admin token is stored, and whether this start generated it (print it once). */
  adminTokenPath: string | null;
  adminTokenCreated: boolean;
  db: DbHandle;
  dispatcher: Dispatcher;
  reaper: Reaper;
  /** Measurements stored, sweeps finished, agents coming and going on this coordinator. */
  events: FarmEventBus;
  stop(): Promise<void>;
}

export interface CoordinatorHooks {
  log?: (line: string) => void;
  /** An already open database (tests, embedding); the caller closes it. */
  db?: DbHandle;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startCoordinator(input: CoordinatorOptionsInput = {}, hooks: CoordinatorHooks = {}): Promise<Coordinator> {
  const opts = CoordinatorOptions.parse(input);
  const log = hooks.log ?? (() => {});
  const home = farmHome(opts.home);
  const admin = ensureAdminToken(home, opts.adminToken);
  const db = hooks.db ?? (await openDb(resolveDbTarget({ url: opts.dbUrl, farmHome: home })));
  const closeDb = hooks.db ? async () => {} : () => db.close();
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const limiter = new AuthLimiter();
  const liveness = new LivenessWriter(db.db, { flushMs: Math.max(50, Math.min(250, opts.heartbeatMs, opts.offlineAfterMs / 4)), log });
  const registry = new DeviceRegistry(db.db, limiter, liveness);
  const artifacts = new ArtifactStore(db.db);
  const events = new FarmEventBus(log);
  const twinRefits = new TwinRefitter(db.db, { log });
  const dispatcher = new Dispatcher({ db: db.db, instanceId, leaseMs: opts.leaseMs, artifacts, log, events, releaseCooldownMs: opts.heartbeatMs, onResult: (r) => twinRefits.onResult(r) });
  const sweeps = new SweepService(db.db, dispatcher);
  const hub = new AgentHub({
    registry,
    dispatcher,
    heartbeatMs: opts.heartbeatMs,
    helloTimeoutMs: opts.helloTimeoutMs,
    silentTimeoutMs: opts.offlineAfterMs,
    events,
    log,
  });
  const reaper = new Reaper({ db: db.db, dispatcher, intervalMs: opts.reaperIntervalMs, offlineAfterMs: opts.offlineAfterMs, events, log });
  const app = buildApp({
    db: db.db,
    registry,
    sweeps,
    artifacts,
    limiter,
    adminToken: admin.token,
    instanceId,
    startedAt: new Date(),
    disconnectDevice: (id, reason) => hub.disconnectDevice(id, reason),
    status: () => ({ agentsConnected: dispatcher.connected, dbKind: db.kind }),
    events,
    log,
  });
  // A client must send its request (an agent: its WebSocket upgrade) within this time and then
  // its hello within helloTimeoutMs: an unauthenticated connection lives a few seconds at most.
  const headersTimeout = Math.max(2000, opts.helloTimeoutMs);
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: { headersTimeout } }) as Server;
  cutSilentConnections(server, headersTimeout);
  hub.attach(server);
  let port: number;
  try {
    port = await listen(server, opts.port, opts.host);
  } catch (error) {
    await closeDb();
    throw error;
  }
  reaper.start();
  liveness.start();
  void reaper.tick();
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${shownHost}:${port}`;
  log(`coordinator ${instanceId} listening on ${url} (database: ${db.kind} ${db.location})`);

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await hub.stop();
      await liveness.stop();
      await reaper.stop();
      await dispatcher.stop();
      await twinRefits.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await closeDb();
      log('coordinator stopped');
    })());

  return { url, port, instanceId, adminToken: admin.token, adminTokenPath: admin.path, adminTokenCreated: admin.created, db, dispatcher, reaper, events, stop };
}
