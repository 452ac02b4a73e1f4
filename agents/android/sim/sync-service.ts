/**
 * The `sync:` service (adb/SYNC.TXT, adb/daemon/file_sync_service.cpp): STAT, LIST, SEND with
 * DATA/DONE, RECV and QUIT, v1 only (the simulator advertises no stat_v2/ls_v2). Requests are
 * parsed from a byte buffer because WRTE boundaries mean nothing to the sync protocol.
 */
import { Vfs, VfsError } from './vfs';
import type { SimStream } from './stream';

const MAX_PATH = 1024;
const RECV_CHUNK = 64 * 1024;
const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function frame(id: string, ...words: number[]): Buffer {
  return Buffer.concat([Buffer.from(id, 'ascii'), ...words.map(u32)]);
}

function fail(message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from('FAIL', 'ascii'), u32(text.length), text]);
}

export function serveSync(stream: SimStream, vfs: Vfs, log: (message: string) => void): void {
  let buffer: Buffer = Buffer.alloc(0);
  let send: { path: string; mode: number; chunks: Buffer[]; bytes: number } | null = null;

  const handle = async (): Promise<void> => {
    for (;;) {
      if (buffer.length < 8) return;
      const id = buffer.toString('ascii', 0, 4);
      const len = buffer.readUInt32LE(4);
      if (send) {
        if (id === 'DATA') {
          if (buffer.length < 8 + len) return;
          send.chunks.push(Buffer.from(buffer.subarray(8, 8 + len)));
          send.bytes += len;
          buffer = buffer.subarray(8 + len);
          if (send.bytes > MAX_FILE_BYTES) {
            send = null;
            await stream.write(fail('file too large for the simulator'));
            stream.close();
            return;
          }
          continue;
        }
        buffer = buffer.subarray(8);
        const current = send;
        send = null;
        if (id !== 'DONE') {
          await stream.write(fail(`unexpected ${JSON.stringify(id)} during SEND`));
          continue;
        }
        try {
          vfs.writeAtomic(current.path, Buffer.concat(current.chunks), current.mode, len || undefined);
          await stream.write(frame('OKAY', 0));
        } catch (error) {
          const reason = error instanceof VfsError ? error.reason : (error as Error).message;
          await stream.write(fail(`couldn't create file: ${reason}`));
        }
        continue;
      }
      if (id === 'QUIT') {
        stream.close();
        return;
      }
      if (!['STAT', 'LIST', 'SEND', 'RECV'].includes(id)) {
        await stream.write(fail(`unknown command ${buffer.readUInt32LE(0).toString(16).padStart(8, '0')}`));
        stream.close();
        return;
      }
      if (len > MAX_PATH) {
        await stream.write(fail('path too long'));
        stream.close();
        return;
      }
      if (buffer.length < 8 + len) return;
      const arg = buffer.toString('utf8', 8, 8 + len);
      buffer = buffer.subarray(8 + len);
      if (id === 'STAT') {
        const st = vfs.stat(arg);
        await stream.write(st ? frame('STAT', st.mode, st.size, st.mtimeS) : frame('STAT', 0, 0, 0));
      } else if (id === 'LIST') {
        const parts: Buffer[] = [];
        let entries: ReturnType<Vfs['list']> = [];
        try {
          const self = vfs.stat(arg);
          const parent = vfs.stat(Vfs.normalize(`${arg}/..`));
          // readdir() gives `.` and `..` first, and adbd passes them on
          entries = [...(self && parent ? [{ name: '.', ...self }, { name: '..', ...parent }] : []), ...vfs.list(arg)];
        } catch {
          // adbd answers DONE alone for a directory it cannot open
          entries = [];
        }
        for (const e of entries) {
          const name = Buffer.from(e.name, 'utf8');
          parts.push(frame('DENT', e.mode, e.size, e.mtimeS, name.length), name);
        }
        parts.push(frame('DONE', 0, 0, 0, 0));
        await stream.write(Buffer.concat(parts));
      } else if (id === 'SEND') {
        const comma = arg.lastIndexOf(',');
        const path = comma >= 0 ? arg.slice(0, comma) : arg;
        const mode = comma >= 0 ? Number(arg.slice(comma + 1)) : 0o644;
        send = { path: Vfs.normalize(path), mode: Number.isFinite(mode) ? mode : 0o644, chunks: [], bytes: 0 };
      } else {
        let data: Buffer;
        try {
          data = vfs.read(arg);
        } catch (error) {
          await stream.write(fail(`open failed: ${error instanceof VfsError ? error.reason : (error as Error).message}`));
          continue;
        }
        const parts: Buffer[] = [];
        for (let off = 0; off < data.length; off += RECV_CHUNK) {
          const chunk = data.subarray(off, off + RECV_CHUNK);
          parts.push(frame('DATA', chunk.length), chunk);
        }
        parts.push(frame('DONE', 0));
        await stream.write(Buffer.concat(parts));
      }
    }
  };

  stream.onData(async (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    try {
      await handle();
    } catch (error) {
      log(`sync: ${(error as Error).message}`);
      stream.close();
    }
  });
}
