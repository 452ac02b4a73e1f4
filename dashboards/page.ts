/** What every page module provides: the live topics it shows, and a refresh that redraws it. */
import type { LiveTopic } from './live';

export interface PageContext {
  /** Where the page draws. */
  root: HTMLElement;
  /** Path segments after /dashboard/, decoded. */
  path: string[];
  query: URLSearchParams;
}

export interface Page {
  title: string;
  /** Refresh when one of these changes (live updates). */
  topics: readonly LiveTopic[];
  refresh(): Promise<void>;
}

export type PageFactory = (ctx: PageContext) => Page;
