/**
 * The device end of one adb transport (one TCP connection from the adb server). It answers the
 * host's CNXN with the device banner (no AUTH, as a device with auth disabled does), accepts or
 * refuses OPENs through the service table, routes OKAY/WRTE/CLSE to streams, and can open
 * streams towards the host itself (the data path of `adb reverse`).
 */
import type { Socket } from 'node:net';
import {
  A_AUTH,
  A_CLSE,
  A_CNXN,
  A_OKAY,
  A_OPEN,
  A_VERSION,
  A_WRTE,
  MAX_PAYLOAD,
  PacketReader,
  SIM_MAXDATA,
  encodePacket,
  type Packet,
} from './packet';
import { SimStream, type StreamWire } from './stream';

export type ServiceHandler = (stream: SimStream, conn: DeviceConnection) => void | Promise<void>;

export interface ServiceTable {
  /** The handler for a service name (`shell:ls`, `sync:`), or null to refuse it. */
  resolve(service: string): ServiceHandler | null;
  banner(): string;
  log(message: string): void;
}

const OPEN_TIMEOUT_MS = 10_000;

export class DeviceConnection implements StreamWire {
  private readonly reader = new PacketReader(MAX_PAYLOAD);
  private readonly streams = new Map<number, SimStream>();
  private readonly pendingOpens = new Map<number, { stream: SimStream; resolve: (s: SimStream) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private peerMaxData = 4096;
  private online = false;
  private ended = false;
  private readonly closeHandlers: Array<() => void> = [];

  constructor(
    private readonly socket: Socket,
    private readonly services: ServiceTable,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', () => this.teardown());
    socket.on('close', () => this.teardown());
  }

  get isOnline(): boolean {
    return this.online && !this.ended;
  }

  onClose(handler: () => void): void {
    if (this.ended) handler();
    else this.closeHandlers.push(handler);
  }

  send(packet: Buffer): void {
    if (!this.ended) this.socket.write(packet);
  }

  /** adb 29 drops a transport whose packet exceeds what that side advertised: stay under both. */
  maxData(): number {
    return Math.min(this.peerMaxData, SIM_MAXDATA, MAX_PAYLOAD);
  }

  forget(localId: number): void {
    this.streams.delete(localId);
  }

  /** Opens a stream to a host-side service (`tcp:3000`); rejects when the host refuses. */
  openToHost(service: string, signal?: AbortSignal): Promise<SimStream> {
    if (!this.isOnline) return Promise.reject(new Error('transport is not online'));
    const localId = this.nextId++;
    const stream = new SimStream(this, localId, 0);
    return new Promise<SimStream>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`host did not answer OPEN ${service} within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.pendingOpens.delete(localId);
        reject(error);
      };
      signal?.addEventListener('abort', () => fail(new Error('aborted')), { once: true });
      this.pendingOpens.set(localId, {
        stream,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: fail,
      });
      this.send(encodePacket(A_OPEN, localId, 0, Buffer.from(`${service}\0`, 'utf8')));
    });
  }

  close(): void {
    this.socket.destroy();
    this.teardown();
  }

  private onBytes(chunk: Buffer): void {
    let packets: Packet[];
    try {
      packets = this.reader.push(chunk);
    } catch (error) {
      this.services.log(`dropping transport: ${(error as Error).message}`);
      this.close();
      return;
    }
    for (const packet of packets) this.handle(packet);
  }

  private handle(p: Packet): void {
    switch (p.command) {
      case A_CNXN:
        this.handleConnect(p);
        return;
      case A_AUTH:
        // We never ask for AUTH, so the host never has to answer one.
        return;
      case A_OPEN:
        if (this.online) this.handleOpen(p);
        return;
      case A_OKAY: {
        const pending = this.pendingOpens.get(p.arg1);
        if (pending) {
          this.pendingOpens.delete(p.arg1);
          pending.stream.remoteId = p.arg0;
          this.streams.set(p.arg1, pending.stream);
          pending.resolve(pending.stream);
          return;
        }
        this.streams.get(p.arg1)?.handleOkay();
        return;
      }
      case A_WRTE:
        this.streams.get(p.arg1)?.handleWrite(p.data);
        return;
      case A_CLSE: {
        const pending = this.pendingOpens.get(p.arg1);
        if (pending) {
          pending.reject(new Error('host refused the connection'));
          return;
        }
        this.streams.get(p.arg1)?.handleRemoteClose();
        return;
      }
      default:
        // adb 29 logs unknown commands and ignores them; so do we.
        this.services.log(`ignoring unknown packet command 0x${p.command.toString(16)}`);
    }
  }

  private handleConnect(p: Packet): void {
    const version = Math.min(p.arg0, A_VERSION);
    this.peerMaxData = Math.max(4096, Math.min(p.arg1, MAX_PAYLOAD));
    for (const stream of [...this.streams.values()]) stream.handleRemoteClose();
    this.online = true;
    this.send(encodePacket(A_CNXN, version, SIM_MAXDATA, this.services.banner()));
  }

  private handleOpen(p: Packet): void {
    const service = p.data.toString('utf8').replace(/\0+$/, '');
    const handler = this.services.resolve(service);
    if (!handler) {
      this.send(encodePacket(A_CLSE, 0, p.arg0));
      return;
    }
    const localId = this.nextId++;
    const stream = new SimStream(this, localId, p.arg0);
    this.streams.set(localId, stream);
    this.send(encodePacket(A_OKAY, localId, p.arg0));
    Promise.resolve()
      .then(() => handler(stream, this))
      .catch((error: unknown) => {
        this.services.log(`service ${service.slice(0, 80)} failed: ${(error as Error).message}`);
        stream.close();
      });
  }

  private teardown(): void {
    if (this.ended) return;
    this.ended = true;
    for (const stream of [...this.streams.values()]) stream.handleRemoteClose();
    for (const pending of [...this.pendingOpens.values()]) pending.reject(new Error('transport closed'));
    this.pendingOpens.clear();
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
