/**
 * One adb stream as the device sees it. Writes are chunked to the negotiated payload size and
 * sent one at a time: the next WRTE waits for the host's OKAY (adb/protocol.txt). Data from the
 * host is handed to the handler in order; each WRTE is acknowledged once the handler took it,
 * so a slow consumer (a file being written) slows the host down instead of buffering without bound.
 */
import { A_CLSE, A_OKAY, A_WRTE, encodePacket } from './packet';

export interface StreamWire {
  send(packet: Buffer): void;
  maxData(): number;
  forget(localId: number): void;
}

type DataHandler = (chunk: Buffer) => void | Promise<void>;

export class SimStream {
  readonly localId: number;
  remoteId: number;
  private readonly wire: StreamWire;
  private readonly controller = new AbortController();
  private pendingOut: Buffer[] = [];
  private inFlight = false;
  private drainWaiters: Array<() => void> = [];
  private closing = false;
  private handler: DataHandler | null = null;
  private inbox: Buffer[] = [];
  private processing = Promise.resolve();
  private closeHandlers: Array<() => void> = [];

  constructor(wire: StreamWire, localId: number, remoteId: number) {
    this.wire = wire;
    this.localId = localId;
    this.remoteId = remoteId;
  }

  /** Aborted when the stream ends, whoever ends it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  onData(handler: DataHandler): void {
    this.handler = handler;
    const queued = this.inbox;
    this.inbox = [];
    for (const chunk of queued) this.deliver(chunk);
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  /** Queues bytes for the host; resolves when the host acknowledged all of them (or the stream ended). */
  write(data: Buffer | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.closed || this.closing || bytes.length === 0) return Promise.resolve();
    const max = this.wire.maxData();
    for (let off = 0; off < bytes.length; off += max) this.pendingOut.push(bytes.subarray(off, off + max));
    const done = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.pump();
    return done;
  }

  /** Ends the stream from the device side once queued writes went out. */
  close(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    this.pump();
  }

  /** The host acknowledged our last WRTE. */
  handleOkay(): void {
    this.inFlight = false;
    this.pump();
  }

  /** A WRTE from the host: hand it over, then acknowledge. */
  handleWrite(chunk: Buffer): void {
    if (this.closed) return;
    if (!this.handler) {
      this.inbox.push(chunk);
      return;
    }
    this.deliver(chunk);
  }

  /** The host closed the stream, or the transport died. */
  handleRemoteClose(): void {
    this.finish(false);
  }

  private deliver(chunk: Buffer): void {
    const handler = this.handler!;
    this.processing = this.processing
      .then(() => handler(chunk))
      .catch(() => this.close())
      .then(() => {
        if (!this.closed) this.wire.send(encodePacket(A_OKAY, this.localId, this.remoteId));
      });
  }

  private pump(): void {
    if (this.closed || this.inFlight) return;
    const next = this.pendingOut.shift();
    if (next) {
      this.inFlight = true;
      this.wire.send(encodePacket(A_WRTE, this.localId, this.remoteId, next));
      return;
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
    if (this.closing) this.finish(true);
  }

  private finish(sendClose: boolean): void {
    if (this.closed) return;
    if (sendClose) this.wire.send(encodePacket(A_CLSE, this.localId, this.remoteId));
    this.controller.abort();
    this.pendingOut = [];
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
    this.wire.forget(this.localId);
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
