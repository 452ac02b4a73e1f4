/**
 * Sweeps: progress bars, throughput and time left, failures with their reasons; start a sweep and
 * cancel one from the page (with the admin token, asked once per browser tab).
 */
import type { InferRequestType } from 'hono/client';
import { SPACE_NAMES } from '../../core/space';
import { withAdmin } from '../admin';
import { api, client, unwrap, type SweepCard } from '../api';
import { badge, devicePath, duration, fill, h, link, notice, section, since, subnetPath, table } from '../dom';
import type { PageFactory } from '../page';

type SweepBody = InferRequestType<typeof client.api.sweeps.$post>['json'];
const STRATEGIES = ['random', 'macs-stratified'] as const satisfies readonly NonNullable<SweepBody['strategy']>[];

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

function progressBar(s: SweepCard): HTMLElement {
  const p = s.progress;
  const total = Math.max(1, p.total);
  const seg = (cls: string, n: number) => (n > 0 ? h('span', { class: `seg ${cls}`, style: `width:${(100 * n) / total}%` }) : null);
  const finished = p.done + p.failed + p.cancelled;
  return h(
    'div',
    { class: 'progress-cell' },
    h(
      'div',
      { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': p.total, 'aria-valuenow': finished, 'data-sweep': s.id, 'data-done': p.done, 'data-total': p.total },
      seg('done', p.done),
      seg('failed', p.failed),
      seg('cancelled', p.cancelled),
      seg('leased', p.leased),
    ),
    h('div', { class: 'small' }, `${p.done}/${p.total} done`, p.failed ? ` · ${p.failed} failed` : '', p.leased ? ` · ${p.leased} measuring` : '', p.cancelled ? ` · ${p.cancelled} cancelled` : ''),
  );
}

function failureList(sweeps: SweepCard[]): HTMLElement {
  const rows = sweeps.flatMap((s) =>
    s.failures.map((f) => [
      `#${s.id}`,
      String(f.jobId),
      f.subnetId ? h('a', { href: subnetPath(f.subnetId) }, f.subnetId) : (f.partKey ?? '–'),
      `${f.failures} of ${f.attempts}`,
      badge(f.final ? 'failed' : `retried (${f.status})`),
      h('span', { class: 'reason' }, f.error ?? 'no reason recorded'),
    ]),
  );
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No failed or retried jobs.');
  return table(['Sweep', 'Job', 'Subnet / part', 'Failed attempts', 'Outcome', 'Reason'], rows, { class: 'failures' });
}

export const sweepsPage: PageFactory = ({ root }) => {
  const status = h('div', { id: 'sweep-action-status', 'aria-live': 'polite' });
  const device = h('select', { name: 'device', id: 'sweep-device', required: true });
  const space = h('select', { name: 'space', id: 'sweep-space' }, ...SPACE_NAMES.map((s) => h('option', { value: s }, s)));
  const strategy = h('select', { name: 'strategy', id: 'sweep-strategy' }, ...STRATEGIES.map((s) => h('option', { value: s }, s)));
  const num = (name: string, value: number, min: number, max: number) => h('input', { type: 'number', name, id: `sweep-${name}`, value, min, max, required: true });
  const count = num('count', 20, 1, 10_000);
  const runs = num('runs', 30, 1, 100_000);
  const warmup = num('warmup', 5, 0, 100_000);
  const timedMs = num('timed-ms', 1000, 0, 600_000);
  const form = h(
    'form',
    { id: 'start-sweep', class: 'inline-form' },
    h('label', {}, 'Device ', device),
    h('label', {}, 'Space ', space),
    h('label', {}, 'Strategy ', strategy),
    h('label', {}, 'Subnets ', count),
    h('label', {}, 'Timed runs ', runs),
    h('label', {}, 'Warm-up runs ', warmup),
    h('label', {}, 'Min timed ms ', timedMs),
    h('button', { type: 'submit', id: 'start-sweep-button' }, 'Start sweep'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body: SweepBody = {
      device: device.value,
      space: space.value as SweepBody['space'],
      strategy: strategy.value as SweepBody['strategy'],
      count: Number(count.value),
      settings: { runs: Number(runs.value), warmupRuns: Number(warmup.value), minTimedMs: Number(timedMs.value), warmupMinMs: Math.min(500, Number(timedMs.value)) },
    };
    void withAdmin(status, 'Starting the sweep', (token) => unwrap(client.api.sweeps.$post({ json: body }, auth(token)))).then((r) => {
      if (r) status.replaceChildren(notice(`Sweep ${r.sweep.id} started: ${r.sweep.progress.total} jobs on ${r.sweep.deviceName} (${r.sweep.space}).`, 'ok'));
    });
  });
  const cancel = (id: number) =>
    void withAdmin(status, `Cancelling sweep ${id}`, (token) => unwrap(client.api.sweeps[':id'].cancel.$post({ param: { id: String(id) }, json: { reason: 'cancelled from the dashboard' } }, auth(token)))).then((r) => {
      if (r) status.replaceChildren(notice(`Sweep ${id} cancelled: ${r.sweep.cancelledJobs} queued jobs dropped, ${r.sweep.stopping} being stopped.`, 'ok'));
    });

  const start = section('Start a sweep', 'start');
  start.body.append(form, status);
  const list = section('Sweeps', 'sweeps');
  const failures = section('Failures and retries', 'failures');
  fill(root, h('h1', {}, 'Sweeps'), start.el, list.el, failures.el);
  return {
    title: 'Sweeps',
    topics: ['sweeps', 'measurements', 'devices'],
    async refresh() {
      const [{ sweeps }, { devices }] = await Promise.all([api.sweeps(), api.overview()]);
      const chosen = device.value;
      fill(device, ...devices.map((d) => h('option', { value: d.name, selected: d.name === chosen }, `${d.name} (${d.kind}, ${d.status})`)));
      if (sweeps.length === 0) {
        fill(list.body, h('p', { class: 'muted' }, 'No sweeps yet.'));
      } else {
        fill(
          list.body,
          table(
            ['Sweep', 'Device', 'What', 'State', 'Progress', 'Throughput', 'Time left / took', 'Started', ''],
            sweeps.map((s) => [
              `#${s.id}`,
              link(devicePath(s.deviceName), s.deviceName),
              h('span', {}, `${s.space} · ${s.strategy} · ${s.count} ${s.strategy === 'blocks' ? 'parts' : 'subnets'}`, s.repeatEveryMs ? h('div', { class: 'muted small' }, `repeats every ${duration(s.repeatEveryMs / 1000)}`) : null),
              h('span', {}, badge(s.state), s.cancelReason ? h('div', { class: 'muted small' }, s.cancelReason) : null),
              progressBar(s),
              s.throughputPerMin === null ? '–' : `${s.throughputPerMin.toFixed(1)} jobs/min`,
              s.state === 'running' ? duration(s.etaS) : s.finishedAt ? `took ${duration((Date.parse(String(s.finishedAt)) - Date.parse(String(s.startAt))) / 1000)}` : '–',
              since(String(s.startAt)),
              s.state === 'running' || s.state === 'scheduled' ? h('button', { type: 'button', class: 'cancel', 'data-cancel': s.id, onclick: () => cancel(s.id) }, 'Cancel') : '',
            ]),
            { class: 'sweeps' },
          ),
        );
      }
      fill(failures.body, failureList(sweeps));
    },
  };
};
