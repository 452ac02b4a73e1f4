/** Reads a server-sent event stream in tests (fetch + a small parser), with deadlines. */
import type { LiveChange, LiveTopic } from '../../../server/http/dashboard/live-feed';

export interface SseEvent {
  event: string;
  data: string;
}

export interface EventReader {
  /** The next event of this type (earlier events of other types are skipped). */
  next(type: string, timeoutMs?: number): Promise<SseEvent>;
  /** The next `change` whose topics satisfy `match`. */
  nextChange(match: (topics: LiveTopic[]) => boolean, timeoutMs?: number): Promise<LiveChange>;
  close(): void;
}

export async function readEvents(url: string): Promise<EventReader> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new Error(`event stream ${url}: HTTP ${res.status}`);
  if (!res.headers.get('content-type')?.includes('text/event-stream')) throw new Error(`event stream ${url}: content type ${res.headers.get('content-type')}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const queue: SseEvent[] = [];
  let buffer = '';
  const pull = async (deadline: number): Promise<SseEvent> => {
    for (;;) {
      const queued = queue.shift();
      if (queued) return queued;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a server-sent event');
      const chunk = await Promise.race([reader.read(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left))]);
      if (chunk === 'timeout') continue;
      if (chunk.done) throw new Error('the event stream ended');
      buffer += chunk.value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n');
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
        if (data.length === 0) continue;
        queue.push({ event: lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message', data: data.join('\n') });
      }
    }
  };
  return {
    async next(type, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const e = await pull(deadline);
        if (e.event === type) return e;
      }
    },
    async nextChange(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const e = await pull(deadline);
        if (e.event !== 'change') continue;
        const change = JSON.parse(e.data) as LiveChange;
        if (match(change.topics)) return change;
      }
    },
    close: () => abort.abort(),
  };
}
