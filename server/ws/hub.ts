/**
 * The agent WebSocket endpoint (`/agent/ws`) on the coordinator's HTTP server: accepts upgrades,
 * makes one AgentSession per socket, and applies the disconnect policy:
 * - a clean close by the agent (1000/1001) means it left on purpose: the device goes offline at
 *   once and a job it still held returns to the queue, charged (a stopping agent releases its job
 *   first; one that did not has lost it);
 * - any other end (network cut, killed process, silence) keeps the lease: the agent may come back
 *   and finish. The reaper marks the device offline after the offline timeout, which returns the
 *   job to the queue; an agent that comes back without the job returns it at once.
 * A coordinator shutting down touches no lease: its agents reconnect to the next one.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorMessage } from '../../core/errors';
import { MAX_FRAME_BYTES } from '../../core/protocol';
import type { FarmEventBus } from '../events';
import type { AgentLink } from '../scheduler/agent-link';
import { handleFrame, type WireDeps } from './handlers';
import { AgentSession, CLOSE } from './session';

export const AGENT_WS_PATH = '/agent/ws';

export interface HubOptions extends Omit<WireDeps, 'replaced' | 'connected'> {
  helloTimeoutMs: number;
  silentTimeoutMs: number;
  events: FarmEventBus;
}

export class AgentHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 2 * MAX_FRAME_BYTES });
  private readonly sessions = new Set<AgentSession>();
  private stopping = false;
  private readonly deps: WireDeps;

  constructor(private readonly opts: HubOptions) {
    this.deps = { ...opts, replaced: (previous) => this.replaced(previous), connected: (deviceId) => opts.events.emit('device-status', { deviceId, status: 'online' }) };
  }

  get size(): number {
    return this.sessions.size;
  }

  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
    if (path !== AGENT_WS_PATH || this.stopping) {
      socket.end(`HTTP/1.1 ${this.stopping ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const remote = req.socket.remoteAddress ?? 'unknown';
    const session = new AgentSession(
      ws,
      remote,
      {
        handle: (s, frame) => handleFrame(s, frame, this.deps),
        closed: (s, code, reason) => this.closed(s, code, reason),
      },
      { helloTimeoutMs: this.opts.helloTimeoutMs, silentTimeoutMs: this.opts.silentTimeoutMs, log: this.opts.log },
    );
    this.sessions.add(session);
  }

  private replaced(previous: AgentLink): void {
    for (const s of this.sessions) {
      if (s === previous) s.close(CLOSE.replaced, 'replaced by a newer connection of this device');
    }
  }

  /** Closes the session of a removed device. */
  disconnectDevice(deviceId: string, reason: string): void {
    for (const s of this.sessions) {
      if (s.authenticated && s.deviceId === deviceId) {
        s.sendError('auth_failed', reason);
        s.close(CLOSE.authFailed, reason);
      }
    }
  }

  private async closed(session: AgentSession, code: number, reason: string): Promise<void> {
    this.sessions.delete(session);
    if (!session.authenticated) return;
    const mine = this.opts.dispatcher.detach(session);
    this.opts.log(`agent ${session.deviceName} disconnected (${code}${reason ? ` ${reason}` : ''})`);
    if (!mine || this.stopping) return;
    if (code !== CLOSE.normal && code !== CLOSE.goingAway) return;
    try {
      const released = await this.opts.registry.offline(session.deviceId, `agent ${session.deviceName} disconnected while measuring`);
      this.opts.events.emit('device-status', { deviceId: session.deviceId, status: 'offline' });
      for (const r of released) this.opts.log(`job ${r.job.id} attempt ${r.job.attempt}: agent left without releasing it; job ${r.outcome}`);
      this.opts.dispatcher.settled(released);
    } catch (error) {
      this.opts.log(`marking ${session.deviceName} offline failed: ${errorMessage(error)}`);
    }
  }

  /** Closes every agent connection (1001, going away) and waits for their frames to be handled. */
  async stop(): Promise<void> {
    this.stopping = true;
    const sessions = [...this.sessions];
    for (const s of sessions) s.close(CLOSE.goingAway, 'coordinator stopping');
    await Promise.race([Promise.all(sessions.map((s) => s.idle())), new Promise((r) => setTimeout(r, 3000).unref())]);
    this.wss.close();
  }
}
