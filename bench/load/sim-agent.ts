/**
 * A simulated agent for load tests: one real WebSocket speaking the protocol, heartbeating at the
 * interval the coordinator asks for, answering every job at once with a canned measurement (no
 * model download: a real agent has its models cached after the first job). It records, per
 * job, the time from the job frame's arrival to the ack of its stored result.
 */
import WebSocket from 'ws';
import { encodeFrame, type FromAgentInput, type ToAgent, type Unversioned } from '../../core/protocol';
import { cannedMeasurement } from '../support/canned-measurement';


export class SimAgent {
  private readonly ws: WebSocket;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly pending = new Map<string, number>();
  /** Job frame received -> ack of its result received, ms. */
  readonly latencies: number[] = [];
  /** When each ack arrived (performance.now()). */
  readonly ackTimes: number[] = [];
  errors = 0;
  readonly welcomed: Promise<void>;

  constructor(url: string, token: string) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/agent/ws`);
    this.welcomed = new Promise((resolve, reject) => {
      this.ws.once('error', reject);
      this.ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as ToAgent;
        if (frame.type === 'welcome') {
          this.send({ type: 'heartbeat', busyJobId: null });
          this.heartbeat = setInterval(() => this.send({ type: 'heartbeat', busyJobId: null }), frame.heartbeatMs);
          resolve();
        } else if (frame.type === 'job') {
          const key = `${frame.jobId}/${frame.attempt}`;
          this.pending.set(key, performance.now());
          this.send({ type: 'result', jobId: frame.jobId, attempt: frame.attempt, measurement: cannedMeasurement('load-sim') });
        } else if (frame.type === 'ack') {
          const key = `${frame.jobId}/${frame.attempt}`;
          const t0 = this.pending.get(key);
          if (t0 !== undefined) {
            const now = performance.now();
            this.latencies.push(now - t0);
            this.ackTimes.push(now);
            this.pending.delete(key);
          }
        } else if (frame.type === 'error') {
          this.errors++;
          if (frame.code === 'auth_failed' || frame.code === 'rate_limited') reject(new Error(`${frame.code}: ${frame.message}`));
        }
      });
    });
    this.ws.once('open', () =>
      this.send({ type: 'hello', token, kind: 'edge', agentVersion: 'load-sim', device: { runtime: 'load-sim', runtimeVersion: '0' }, host: null }),
    );
  }

  private send(frame: Unversioned<FromAgentInput>): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeFrame<FromAgentInput>(frame));
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ws.close(1000);
  }
}
