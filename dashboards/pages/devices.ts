/** Devices: every device with kind, status (since when), specs, host, measurements and active twins. */
import { api, type DeviceCard } from '../api';
import { badge, bytes, devicePath, fill, h, link, pct, since, table } from '../dom';
import type { PageFactory } from '../page';

export function specsText(d: DeviceCard): string {
  const x = d.description;
  if (!x) return 'not reported yet (the agent has not connected)';
  return [
    x.model,
    x.cpu && `${x.cpu}${x.cores ? ` × ${x.cores}` : ''}`,
    x.memoryBytes ? bytes(x.memoryBytes) : null,
    x.os,
    `${x.runtime} ${x.runtimeVersion}`,
    x.executionProviders.length ? x.executionProviders.join(', ') : null,
    x.threads ? `${x.threads} threads` : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

export function twinsCell(d: DeviceCard): HTMLElement {
  if (d.activeTwins.length === 0) return h('span', { class: 'muted' }, 'none yet');
  return h(
    'div',
    {},
    ...d.activeTwins.map((t) =>
      h(
        'div',
        { class: 'twin' },
        link(`/dashboard/twins?device=${encodeURIComponent(d.name)}&space=${encodeURIComponent(t.space)}`, `${t.space}: ${t.family} v${t.version}`),
        ' ',
        h('strong', { 'data-field': 'within10' }, `±10% ${pct(t.within10)}`),
        h('span', { class: 'muted' }, t.basis === 'held-out' ? ` of ${t.heldOut} held-out` : ' (cross-validation)'),
      ),
    ),
  );
}

export const devicesPage: PageFactory = ({ root }) => {
  const summary = h('p', { class: 'summary' });
  const body = h('div', { id: 'devices' });
  fill(root, h('h1', {}, 'Devices'), summary, body);
  return {
    title: 'Devices',
    topics: ['devices', 'measurements', 'twins'],
    async refresh() {
      const { devices } = await api.overview();
      const by = (s: string) => devices.filter((d) => d.status === s).length;
      summary.textContent = `${devices.length} device${devices.length === 1 ? '' : 's'}: ${by('online')} online, ${by('busy')} busy, ${by('offline')} offline · ${devices.reduce((n, d) => n + d.measurementCount, 0)} measurements`;
      if (devices.length === 0) {
        fill(body, h('p', { class: 'muted' }, 'No devices yet. Register one: ofa-farm device add --name NAME --kind edge, then start its agent.'));
        return;
      }
      fill(
        body,
        table(
          ['Device', 'Kind', 'Status', 'Host', 'Specs', 'Measurements', 'Active twin (held-out)'],
          devices.map((d) => [
            link(devicePath(d.name), d.name, { 'data-device': d.name }),
            d.kind,
            h('span', {}, badge(d.status), ' since ', since(d.statusSince), h('div', { class: 'muted small' }, 'last seen ', since(d.lastSeenAt))),
            d.host ?? (d.hostKey.startsWith('device:') ? h('span', { class: 'muted' }, '–') : d.hostKey),
            h('span', { class: 'small' }, specsText(d)),
            h(
              'span',
              { 'data-field': 'measurements', 'data-device': d.name },
              String(d.measurementCount),
              d.failedCount ? h('span', { class: 'muted' }, ` (+${d.failedCount} failed)`) : null,
            ),
            twinsCell(d),
          ]),
          { class: 'devices' },
        ),
      );
    },
  };
};
