/**
 * Live updates: the coordinator's event stream (server-sent events) says which parts of the farm
 * changed; the page refetches what it shows of those parts. After a (re)connect everything is
 * refetched, since changes may have been missed while disconnected.
 */
import type { LiveChange, LiveTopic } from '../server/http/dashboard/live-feed';

export type { LiveTopic };

export interface LiveOptions {
  /** Called with the topics that changed; `null` means "anything may have changed". */
  onChange(topics: LiveTopic[] | null): void;
  indicator: HTMLElement | null;
}

export function startLive(opts: LiveOptions): () => void {
  const source = new EventSource('/api/dashboard/events');
  const show = (text: string, state: 'on' | 'off') => {
    if (!opts.indicator) return;
    opts.indicator.textContent = text;
    opts.indicator.dataset.state = state;
  };
  source.addEventListener('hello', () => {
    show('● live', 'on');
    opts.onChange(null);
  });
  source.addEventListener('change', (event) => {
    const change = JSON.parse((event as MessageEvent<string>).data) as LiveChange;
    show(`● live · updated ${new Date(change.at).toLocaleTimeString()}`, 'on');
    opts.onChange(change.topics);
  });
  source.addEventListener('error', () => show('○ reconnecting…', 'off'));
  return () => source.close();
}
