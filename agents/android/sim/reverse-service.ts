/**
 * The `reverse:` service (adb/daemon/services.cpp reverse_service, adb/adb.cpp
 * handle_forward_request): rules "device port -> host socket" that live as long as the transport.
 * The data path is DeviceConnection.openToHost: an app connecting to the device port makes the
 * device open `tcp:<host port>` towards the adb server.
 */
import type { SimStream } from './stream';

function hex4(text: string): string {
  return Buffer.byteLength(text).toString(16).padStart(4, '0');
}

const okay = (payload?: string) => Buffer.from(payload === undefined ? 'OKAY' : `OKAY${hex4(payload)}${payload}`, 'utf8');
const failure = (message: string) => Buffer.from(`FAIL${hex4(message)}${message}`, 'utf8');

const SPEC = /^(tcp:\d{1,5}|localabstract:[^;]+|localreserved:[^;]+|localfilesystem:[^;]+)$/;

export class ReverseRules {
  private readonly rules = new Map<string, string>();

  /** Answers one `reverse:` request (the part after `reverse:`); the reply bytes to write. */
  handle(request: string): Buffer {
    if (request === 'list-forward') {
      const text = [...this.rules].map(([remote, local]) => `(reverse) ${remote} ${local}\n`).join('');
      return Buffer.from(`${hex4(text)}${text}`, 'utf8');
    }
    if (request === 'killforward-all') {
      this.rules.clear();
      return okay();
    }
    if (request.startsWith('killforward:')) {
      const remote = request.slice('killforward:'.length);
      if (!this.rules.delete(remote)) return failure(`listener '${remote}' not found`);
      return okay();
    }
    if (request.startsWith('forward:')) {
      let spec = request.slice('forward:'.length);
      const norebind = spec.startsWith('norebind:');
      if (norebind) spec = spec.slice('norebind:'.length);
      const semi = spec.indexOf(';');
      if (semi < 0) return failure(`bad forward: ${spec}`);
      let remote = spec.slice(0, semi);
      const local = spec.slice(semi + 1);
      if (!SPEC.test(remote)) return failure(`cannot bind listener: unknown socket specification '${remote}'`);
      if (!SPEC.test(local)) return failure(`unknown socket specification '${local}'`);
      if (norebind && this.rules.has(remote)) return failure('cannot rebind existing socket');
      if (remote === 'tcp:0') {
        remote = `tcp:${this.freePort()}`;
        this.rules.set(remote, local);
        return Buffer.concat([okay(), Buffer.from(`${hex4(remote.slice(4))}${remote.slice(4)}`, 'utf8')]);
      }
      this.rules.set(remote, local);
      return okay();
    }
    return failure(`unknown reverse request: ${request.slice(0, 100)}`);
  }

  /** The host-side socket spec for a device TCP port, or null when no rule covers it. */
  lookup(devicePort: number): string | null {
    return this.rules.get(`tcp:${devicePort}`) ?? null;
  }

  entries(): Array<[string, string]> {
    return [...this.rules];
  }

  clear(): void {
    this.rules.clear();
  }

  private freePort(): number {
    for (let port = 38000; port < 39000; port++) if (!this.rules.has(`tcp:${port}`)) return port;
    throw new Error('no free device port');
  }
}

/** Answers one `reverse:` stream: the reply bytes, then CLSE. */
export function serveReverse(stream: SimStream, rules: ReverseRules, request: string): void {
  stream.onData(() => {});
  void stream.write(rules.handle(request)).then(() => stream.close());
}
