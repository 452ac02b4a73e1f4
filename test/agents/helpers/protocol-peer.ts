/**
 * A protocol-level test peer for agents: a real HTTP server with the agent WebSocket at
 * /agent/ws and token-checked artifacts at /artifacts/:sha256. It speaks the protocol of
 * core/protocol.ts and stores results once per (job, attempt), as the contract says; it has no
 * database, scheduler or leases, and is not part of the product.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Measurement, MeasurementSettingsInput } from '../../../core/measurement';
import { decodeFromAgent, encodeFrame, type FrameOf, type FromAgent, type ToAgentInput, type Unversioned } from '../../../core/protocol';

export interface PeerOptions {
  tokens?: string[];
  heartbeatMs?: number;
  port?: number;
}

export interface Received {
  conn: number;
  frame: FromAgent;
}

export interface Download {
  sha256: string;
  authorization: string | null;
  status: number;
}

export const GOOD_TOKEN = 'test-device-token-0123456789';

export class ProtocolPeer {
  readonly received: Received[] = [];
  readonly badFrames: string[] = [];
  readonly downloads: Download[] = [];
  readonly stored = new Map<string, Measurement>();
  /** Artifacts served: sha256 -> bytes actually sent (which may not hash to the sha). */
  readonly artifacts = new Map<string, Uint8Array>();
  connections = 0;
  /** Drop the connection instead of acknowledging the next N results. */
  dropBeforeAck = 0;
  acknowledge = true;
  /** Answer the next N results with an `internal` error, storing nothing (the coordinator's database is down). */
  failResults = 0;
  /** Answer the next N hellos as a rate-limited address would (error rate_limited, close 4001). */
  rateLimitNext = 0;
  private socket: WebSocket | null = null;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
    readonly port: number,
    private readonly opts: PeerOptions,
  ) {}

  static async start(opts: PeerOptions = {}): Promise<ProtocolPeer> {
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve) => http.listen(opts.port ?? 0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    const peer = new ProtocolPeer(http, wss, `http://127.0.0.1:${port}`, port, opts);
    http.on('request', (req, res) => {
      const match = /^\/artifacts\/([0-9a-f]{64})$/.exec(req.url ?? '');
      const authorization = req.headers.authorization ?? null;
      const status = !match ? 404 : authorization !== `Bearer ${peer.token}` ? 401 : peer.artifacts.has(match[1]) ? 200 : 404;
      peer.downloads.push({ sha256: match?.[1] ?? '', authorization, status });
      if (status !== 200) return void res.writeHead(status).end(status === 401 ? 'bad token' : 'not found');
      const body = peer.artifacts.get(match![1])!;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.byteLength }).end(body);
    });
    http.on('upgrade', (req, socket, head) => {
      if (req.url !== '/agent/ws') return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => peer.accept(ws));
    });
    return peer;
  }

  get token(): string {
    return (this.opts.tokens ?? [GOOD_TOKEN])[0];
  }

  /** Serves `bytes` as a model; `servedBytes` lets a test send something else under that hash. */
  addModel(bytes: Uint8Array, servedBytes: Uint8Array = bytes): { sha256: string; url: string; bytes: number } {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    this.artifacts.set(sha256, servedBytes);
    return { sha256, url: `/artifacts/${sha256}`, bytes: bytes.byteLength };
  }

  frames<T extends FromAgent['type']>(type: T, conn?: number): FrameOf<FromAgent, T>[] {
    return this.received.filter((r) => r.frame.type === type && (conn === undefined || r.conn === conn)).map((r) => r.frame as FrameOf<FromAgent, T>);
  }

  /** Waits (bounded) until `check` returns something truthy, re-checking on every frame. */
  async waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames: ${this.received.map((r) => `${r.conn}:${r.frame.type}`).join(' ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(frame: Unversioned<ToAgentInput>): void {
    this.sendRaw(encodeFrame<ToAgentInput>(frame));
  }

  sendRaw(text: string): void {
    if (!this.socket) throw new Error('no agent is connected');
    this.socket.send(text);
  }

  sendJob(model: { sha256: string; url: string; bytes: number }, jobId: string, settings: MeasurementSettingsInput, inputShape = [1, 1, 16, 16], attempt = 1): void {
    this.send({ type: 'job', jobId, attempt, leaseDeadline: Date.now() + 60_000, model, inputName: 'input', inputShape, settings, label: `test ${jobId}` });
  }

  /** Cuts the current connection without a close handshake. */
  dropConnection(): void {
    this.socket?.terminate();
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    const conn = ++this.connections;
    let authed = false;
    ws.on('message', (data) => {
      const decoded = decodeFromAgent(data as Buffer);
      if (!decoded.ok) {
        this.badFrames.push(decoded.error);
        ws.send(encodeFrame<ToAgentInput>({ type: 'error', code: decoded.code, message: decoded.error }));
        return;
      }
      const frame = decoded.frame;
      this.received.push({ conn, frame });
      if (frame.type === 'hello') {
        if (this.rateLimitNext > 0) {
          this.rateLimitNext--;
          ws.send(encodeFrame<ToAgentInput>({ type: 'error', code: 'rate_limited', message: 'too many failed authentications from this address; retry in 1 s' }));
          ws.close(4001, 'authentication failed');
        } else if (!(this.opts.tokens ?? [GOOD_TOKEN]).includes(frame.token)) {
          ws.send(encodeFrame<ToAgentInput>({ type: 'error', code: 'auth_failed', message: 'unknown device token' }));
          ws.close(4001, 'auth failed');
        } else {
          authed = true;
          this.socket = ws;
          ws.send(encodeFrame<ToAgentInput>({ type: 'welcome', deviceId: 'dev-1', deviceName: 'edge-test', heartbeatMs: this.opts.heartbeatMs ?? 200, serverTime: Date.now() }));
        }
      } else if (frame.type === 'result' && authed && this.failResults > 0) {
        this.failResults--;
        ws.send(encodeFrame<ToAgentInput>({ type: 'error', code: 'internal', message: 'the coordinator could not handle "result"; it was not applied' }));
      } else if (frame.type === 'result' && authed) {
        const key = `${frame.jobId}@${frame.attempt}`;
        const isNew = !this.stored.has(key);
        if (isNew) this.stored.set(key, frame.measurement);
        if (this.dropBeforeAck > 0) {
          this.dropBeforeAck--;
          ws.terminate();
        } else if (this.acknowledge) {
          ws.send(encodeFrame<ToAgentInput>({ type: 'ack', jobId: frame.jobId, attempt: frame.attempt, stored: isNew }));
        }
      }
      this.waiters.splice(0).forEach((wake) => wake());
    });
    ws.on('close', () => {
      if (this.socket === ws) this.socket = null;
    });
  }
}
