/**
 * A TCP proxy between agents and coordinators, to break the network on purpose: cut every open
 * connection (no close frames, as a dropped link), refuse new ones for a while (network down),
 * drop what the coordinator sends while the agent's frames still arrive (lost acks). With
 * several targets it is a round-robin layer-4 load balancer that skips a target refusing
 * connections, as one in front of several coordinators would.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Link {
  client: Socket;
  upstream: Socket;
}

export class TcpProxy {
  private readonly links = new Set<Link>();
  private next = 0;
  /** New connections are cut at once (the network is down). */
  refusing = false;
  /** Bytes from the target to the client are dropped (the connection stays up). */
  dropDownstream = false;
  /** Connections accepted so far, per target port. */
  readonly accepted = new Map<number, number>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private targets: number[],
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static start(targets: number[]): Promise<TcpProxy> {
    const server = createServer({ pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(new TcpProxy(server, (server.address() as { port: number }).port, targets)));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get open(): number {
    return this.links.size;
  }

  setTargets(targets: number[]): void {
    this.targets = targets;
  }

  /** Drops every open connection at once, both sides, without a goodbye. */
  cut(): void {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    this.links.clear();
  }

  /** Cuts every connection and keeps the network down for `ms`. */
  async outage(ms: number): Promise<void> {
    this.refusing = true;
    this.cut();
    await new Promise((r) => setTimeout(r, ms));
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.refusing || this.targets.length === 0) {
      client.destroy();
      return;
    }
    const start = this.next++;
    this.tryTarget(client, start, 0);
  }

  /** Connects to targets in round-robin order, skipping ones that refuse; cuts the client when none answers. */
  private tryTarget(client: Socket, start: number, tried: number): void {
    if (tried >= this.targets.length || client.destroyed) {
      client.destroy();
      return;
    }
    const port = this.targets[(start + tried) % this.targets.length];
    const upstream = connect(port, '127.0.0.1');
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      if (this.refusing || client.destroyed) {
        upstream.destroy();
        client.destroy();
        return;
      }
      this.accepted.set(port, (this.accepted.get(port) ?? 0) + 1);
      this.pipe(client, upstream);
    });
    upstream.on('error', () => {
      if (!connected) this.tryTarget(client, start, tried + 1);
    });
  }

  private pipe(client: Socket, upstream: Socket): void {
    const link = { client, upstream };
    this.links.add(link);
    const end = () => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!this.dropDownstream) client.write(chunk);
    });
    client.on('close', end);
    upstream.on('close', end);
    client.resume();
  }
}
