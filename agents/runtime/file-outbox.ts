/** OutboxStore on disk: one JSON file per result, written atomically (temp file + rename), mode 0600. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutboxEntry, type OutboxStore } from './outbox';

const fileName = (jobId: string, attempt: number) => `${createHash('sha256').update(`${jobId}\n${attempt}`).digest('hex').slice(0, 32)}.json`;

export function fileOutboxStore(dir: string): OutboxStore {
  const ready = mkdir(dir, { recursive: true, mode: 0o700 });
  return {
    async load(onBad) {
      await ready;
      const out: OutboxEntry[] = [];
      for (const name of await readdir(dir)) {
        const path = join(dir, name);
        if (!name.endsWith('.json')) {
          if (name.includes('.tmp-')) await rm(path, { force: true });
          continue;
        }
        let problem: string;
        try {
          const parsed = OutboxEntry.safeParse(JSON.parse(await readFile(path, 'utf8')));
          if (parsed.success) {
            out.push(parsed.data);
            continue;
          }
          problem = parsed.error.issues[0]?.message ?? 'invalid entry';
        } catch (error) {
          problem = (error as Error).message;
        }
        onBad(path, problem);
        await rm(path, { force: true });
      }
      return out;
    },
    async save(entry) {
      await ready;
      const path = join(dir, fileName(entry.jobId, entry.attempt));
      const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
      await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
      await rename(tmp, path);
    },
    async remove(jobId, attempt) {
      await ready;
      await rm(join(dir, fileName(jobId, attempt)), { force: true });
    },
  };
}
