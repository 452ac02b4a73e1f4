/**
 * adb transport packets (adb/protocol.txt): a 24-byte header of six little-endian u32 words
 * (command, arg0, arg1, data_length, data_check, magic) followed by the payload.
 */

export const A_CNXN = 0x4e584e43;
export const A_AUTH = 0x48545541;
export const A_OPEN = 0x4e45504f;
export const A_OKAY = 0x59414b4f;
export const A_WRTE = 0x45545257;
export const A_CLSE = 0x45534c43;

/** The version adb 29 speaks (A_VERSION_SKIP_CHECKSUM): it neither sends nor checks sums. */
export const A_VERSION = 0x01000001;
export const MAX_PAYLOAD = 1024 * 1024;
/** What the simulator advertises: adb never sends a WRTE longer than this to us. */
export const SIM_MAXDATA = 256 * 1024;
export const HEADER_BYTES = 24;

export interface Packet {
  command: number;
  arg0: number;
  arg1: number;
  data: Buffer;
}

const NAMES: Record<number, string> = {
  [A_CNXN]: 'CNXN',
  [A_AUTH]: 'AUTH',
  [A_OPEN]: 'OPEN',
  [A_OKAY]: 'OKAY',
  [A_WRTE]: 'WRTE',
  [A_CLSE]: 'CLSE',
};

export function commandName(command: number): string {
  return NAMES[command] ?? `0x${command.toString(16).padStart(8, '0')}`;
}

export function encodePacket(command: number, arg0: number, arg1: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(command >>> 0, 0);
  header.writeUInt32LE(arg0 >>> 0, 4);
  header.writeUInt32LE(arg1 >>> 0, 8);
  header.writeUInt32LE(payload.length, 12);
  // data_check 0: adb 29 skips checksums at A_VERSION_SKIP_CHECKSUM.
  header.writeUInt32LE(0, 16);
  header.writeUInt32LE((command ^ 0xffffffff) >>> 0, 20);
  return payload.length ? Buffer.concat([header, payload]) : header;
}

/**
 * Splits a byte stream into packets. Throws on a bad magic or an oversized payload, as adb's
 * check_header would drop the whole transport.
 */
export class PacketReader {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(private readonly maxPayload: number) {}

  push(chunk: Buffer): Packet[] {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const packets: Packet[] = [];
    while (this.bufferedBytes >= HEADER_BYTES) {
      const head = this.peek(HEADER_BYTES);
      const command = head.readUInt32LE(0);
      const magic = head.readUInt32LE(20);
      if (((command ^ 0xffffffff) >>> 0) !== magic) {
        throw new Error(`bad packet magic for command ${commandName(command)}`);
      }
      const length = head.readUInt32LE(12);
      if (length > this.maxPayload) throw new Error(`packet payload of ${length} bytes exceeds ${this.maxPayload}`);
      if (this.bufferedBytes < HEADER_BYTES + length) break;
      const whole = this.take(HEADER_BYTES + length);
      packets.push({
        command,
        arg0: whole.readUInt32LE(4),
        arg1: whole.readUInt32LE(8),
        data: Buffer.from(whole.subarray(HEADER_BYTES)),
      });
    }
    return packets;
  }

  private peek(bytes: number): Buffer {
    if (this.buffered[0].length < bytes) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0].subarray(0, bytes);
  }

  private take(bytes: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    const out = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.buffered = rest.length ? [rest] : [];
    this.bufferedBytes = rest.length;
    return out;
  }
}

/** The CNXN banner a device sends: `device::ro.product.name=x;ro.product.model=y;...;features=`. */
export function deviceBanner(props: { name: string; model: string; device: string }): string {
  const clean = (v: string) => v.replace(/[:;=]/g, '_');
  return `device::ro.product.name=${clean(props.name)};ro.product.model=${clean(props.model)};ro.product.device=${clean(props.device)};features=`;
}
