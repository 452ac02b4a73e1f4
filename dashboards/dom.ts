/** Tiny DOM helpers and number formats shared by the pages. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** `h('a', { href: '/x', class: 'link' }, 'text', child)`: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  return el;
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c))));
}

/** A table from column headers and rows of cells. */
export function table(headers: string[], rows: Child[][], attrs: Attrs = {}): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((c) => h('td', {}, c))))),
  );
}

/** A titled section whose body can be refilled. */
export function section(title: string, id: string): { el: HTMLElement; body: HTMLElement } {
  const body = h('div', { class: 'section-body', id: `${id}-body` });
  return { el: h('section', { id }, h('h2', {}, title), body), body };
}

export const ms = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(v >= 100 ? 0 : v >= 1 ? 2 : 3)} ms`);
export const pct = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(digits)}%`);
export const mmacs = (macs: number | null | undefined): string => (macs === null || macs === undefined ? '–' : `${(macs / 1e6).toFixed(macs < 1e7 ? 2 : 1)} MMACs`);
export const mparams = (params: number): string => `${(params / 1e6).toFixed(params < 1e6 ? 3 : 2)} M params`;
export const bytes = (b: number | null | undefined): string => (b ? `${(b / 2 ** 30).toFixed(1)} GiB` : '–');

/** "3 min ago" from an ISO time; `now` in ms. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** A relative time that keeps moving ("12 s ago"), with the exact time as its tooltip. */
export function since(iso: string | null | undefined): HTMLElement {
  return h('span', { 'data-ago': iso ?? undefined, title: iso ? new Date(iso).toLocaleString() : undefined }, ago(iso));
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const time = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '–');

export function link(href: string, text: string, attrs: Attrs = {}): HTMLAnchorElement {
  return h('a', { href, ...attrs }, text);
}

export const devicePath = (name: string) => `/dashboard/devices/${encodeURIComponent(name)}`;
export const subnetPath = (id: string) => `/dashboard/subnets/${encodeURIComponent(id)}`;

/** A message box that pages show errors in (role=alert, so people and tests find it). */
export function notice(text: string, kind: 'error' | 'info' | 'ok' = 'error'): HTMLElement {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** A status badge: online / busy / offline, running / done / cancelled... */
export function badge(text: string): HTMLElement {
  return h('span', { class: `badge ${text.replace(/[^a-z-]/gi, '')}` }, text);
}
