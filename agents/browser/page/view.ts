/**
 * The agent page's view, for people who open it (on a phone, say): state, environment, the
 * current job, the last result, the log, and a token form. Text only (textContent), never HTML
 * built from strings: labels and messages come from elsewhere.
 */
import type { PageStatus, WebProvider } from '../parse';
import type { AgentState } from './agent-state';
import { adapterLabel, type PageEnvironment } from './probe';

type Attrs = Record<string, string>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

const STATE_TEXT: Record<PageStatus['state'], string> = {
  starting: 'Starting…',
  connecting: 'Connecting to the coordinator…',
  connected: 'Connected',
  refused: 'Refused by the coordinator',
  failed: 'Stopped with an error',
  stopped: 'Stopped',
};

export interface ViewContext {
  provider: WebProvider;
  /** Query parameters to keep when the token form is submitted (backend, threads, host). */
  keep: Record<string, string>;
}

export class AgentView {
  private readonly badge = el('p', { id: 'state', class: 'badge' });
  private readonly message = el('p', { id: 'message', class: 'message', role: 'alert' });
  private readonly envList = el('dl', { id: 'environment' });
  private readonly job = el('div', { id: 'job' });
  private readonly result = el('div', { id: 'result' });
  private readonly counts = el('p', { id: 'counts' });
  private readonly log = el('pre', { id: 'log' });
  private readonly form: HTMLFormElement;
  private pending = false;

  constructor(
    root: HTMLElement,
    private readonly state: AgentState | null,
    private readonly ctx: ViewContext,
  ) {
    const input = el('input', { name: 'token', type: 'password', autocomplete: 'off', placeholder: 'device token', required: '', 'aria-label': 'device token' });
    this.form = el('form', { method: 'get', id: 'token-form' }, el('label', {}, 'Device token ', input), el('button', { type: 'submit' }, 'Join the farm'));
    for (const [name, value] of Object.entries(ctx.keep)) this.form.append(el('input', { type: 'hidden', name, value }));
    root.replaceChildren(
      el('h1', {}, 'OFA Farm · browser agent'),
      this.badge,
      this.message,
      el('p', { class: 'muted' }, 'Keep this page open and in front while it measures: browsers throttle background tabs (a measurement taken while hidden says so).'),
      el('h2', {}, 'Current job'),
      this.job,
      el('h2', {}, 'Last result'),
      this.result,
      this.counts,
      el('h2', {}, 'This browser'),
      this.envList,
      this.form,
      el('details', {}, el('summary', {}, 'Log'), this.log),
    );
    state?.onChange(() => this.schedule());
    this.render();
  }

  /** No token yet: only the form (and why). */
  askForToken(why: string): void {
    this.badge.textContent = 'Not joined';
    this.showMessage(why);
    this.form.hidden = false;
  }

  showMessage(text: string | null): void {
    this.message.textContent = text ?? '';
    this.message.hidden = !text;
  }

  environment(env: PageEnvironment, threads: number | null, ortVersion: string | null): void {
    const rows: [string, string][] = [
      ['Runtime', `onnxruntime-web ${ortVersion ?? '(loading)'}, provider ${this.ctx.provider}`],
      ['WASM threads', threads === null ? '…' : String(threads)],
      ['Cross-origin isolated', env.crossOriginIsolated ? 'yes' : `no${env.secureContext ? '' : ' (not a secure context: use https or localhost, e.g. adb reverse)'}; 1 thread, coarse timer`],
      ['WASM SIMD', env.simd ? 'yes' : 'no'],
      ['Timer resolution', env.timerResolutionMs === null ? 'unknown' : `${env.timerResolutionMs} ms`],
      ['WebGPU', env.webgpu.adapter ? adapterLabel(env.webgpu.adapter) : `no (${env.webgpu.reason})`],
      ['Browser', [env.browser, env.os, env.model].filter(Boolean).join(', ') || env.userAgent],
    ];
    this.envList.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    setTimeout(() => {
      this.pending = false;
      this.render();
    }, 100);
  }

  render(): void {
    const s = this.state;
    if (!s) return;
    this.badge.textContent = s.state === 'connected' && s.deviceName ? `Connected as ${s.deviceName}` : STATE_TEXT[s.state];
    this.badge.dataset.state = s.state;
    this.showMessage(s.message);
    this.form.hidden = s.state !== 'refused';
    const job = s.job;
    if (job) {
      const bar = el('progress', { max: String(Math.max(1, job.total)), value: String(job.done) });
      this.job.replaceChildren(el('p', {}, job.label || job.jobId), el('p', {}, `${job.phase}${job.total ? ` ${job.done}/${job.total}` : ''} `, bar));
    } else this.job.replaceChildren(el('p', { class: 'muted' }, s.state === 'connected' ? 'idle, waiting for a job' : '—'));
    const r = s.lastResult;
    if (r) {
      const numbers = r.medianMs !== null ? `median ${r.medianMs.toFixed(3)} ms, CV ${(r.cv ?? 0).toFixed(3)}, ${r.runs} runs` : '';
      this.result.replaceChildren(el('p', {}, `${r.label}: ${r.status}${numbers ? ` — ${numbers}` : ''}`), ...(r.error ? [el('p', { class: 'muted' }, r.error)] : []));
    } else this.result.replaceChildren(el('p', { class: 'muted' }, 'none yet'));
    this.counts.textContent = `${s.measured} measured on this page${s.outbox ? `, ${s.outbox} results waiting for the coordinator` : ''}`;
    this.log.textContent = s.lines.slice(-100).join('\n');
  }
}
