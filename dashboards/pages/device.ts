/** One device: its facts, its recent measurements (latency against MACs) and its anchor's drift. */
import { api, type DeviceDetail } from '../api';
import { axis, colorsFor, drawChart } from '../charts';
import { badge, fill, h, mmacs, ms, pct, section, since, subnetPath, table, time } from '../dom';
import type { PageFactory } from '../page';
import { specsText, twinsCell } from './devices';

type Recent = DeviceDetail['recent'][number];

function driftText(points: DeviceDetail['anchors']): string {
  if (points.length < 2) return 'The anchor subnet is re-measured every K jobs of a sweep; its drift shows here after two of them.';
  const first = points[0].medianMs;
  const last = points[points.length - 1].medianMs;
  const lo = Math.min(...points.map((p) => p.medianMs));
  const hi = Math.max(...points.map((p) => p.medianMs));
  return `${points.length} anchor measurements from ${time(points[0].at)} to ${time(points[points.length - 1].at)}: last vs first ${pct(last / first - 1, 1)}, range ${ms(lo)} – ${ms(hi)} (${pct(hi / lo - 1, 1)}).`;
}

function recentRow(m: Recent) {
  return [
    time(m.finishedAt),
    String(m.sweepId),
    m.subnetId ? h('a', { href: subnetPath(m.subnetId) }, m.subnetId) : (m.partKey ?? '–'),
    m.r ?? '–',
    mmacs(m.macs),
    ms(m.medianMs),
    ms(m.p90Ms),
    m.cv === null ? '–' : pct(m.cv, 1),
    h('span', {}, badge(m.status), m.anchor ? ' anchor' : '', m.error ? h('div', { class: 'muted small' }, m.error) : null),
  ];
}

export const devicePage: PageFactory = ({ root, path }) => {
  const name = path[1];
  const head = h('div');
  const scatter = section('Recent measurements: median latency against MACs', 'recent-chart');
  const drift = section('Drift of the anchor subnet over time', 'drift');
  const driftNote = h('p', { class: 'muted' });
  const driftChart = h('div');
  drift.body.append(driftNote, driftChart);
  const list = section('Last 30 measurements', 'recent');
  fill(root, h('h1', {}, `Device ${name}`), head, h('div', { class: 'grid2' }, scatter.el, drift.el), list.el);
  return {
    title: `Device ${name}`,
    topics: ['devices', 'measurements', 'twins'],
    async refresh() {
      const { device, recent, anchors } = await api.device(name);
      fill(
        head,
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Kind'),
          h('dd', {}, device.kind),
          h('dt', {}, 'Status'),
          h('dd', {}, badge(device.status), ' since ', since(device.statusSince), ' · last seen ', since(device.lastSeenAt)),
          h('dt', {}, 'Host'),
          h('dd', {}, device.host ?? device.hostKey),
          h('dt', {}, 'Specs'),
          h('dd', {}, specsText(device), device.agentVersion ? ` · agent ${device.agentVersion}` : ''),
          h('dt', {}, 'Measurements'),
          h('dd', { 'data-field': 'measurements' }, `${device.measurementCount}${device.failedCount ? ` (+${device.failedCount} failed)` : ''}`, ...device.spaces.map((s) => h('span', { class: 'muted' }, ` · ${s.space}: ${s.count}`))),
          h('dt', {}, 'Active twins'),
          h('dd', {}, twinsCell(device)),
        ),
      );
      const measured = recent.filter((m) => m.medianMs !== null && m.macs !== null);
      const spaces = [...new Set(measured.map((m) => m.space))];
      const colorOf = colorsFor([...spaces, ...anchors.map((a) => a.space)]);
      drawChart(scatter.body, 'recent-chart', `median latency against MACs of ${measured.length} recent measurements`, {
        type: 'scatter',
        data: {
          datasets: spaces.flatMap((space) => [
            {
              label: `${space}`,
              data: measured.filter((m) => m.space === space && !m.anchor).map((m) => ({ x: (m.macs as number) / 1e6, y: m.medianMs as number })),
              backgroundColor: colorOf(space, 0.7),
              pointRadius: 3,
            },
            {
              label: `${space} anchor`,
              data: measured.filter((m) => m.space === space && m.anchor).map((m) => ({ x: (m.macs as number) / 1e6, y: m.medianMs as number })),
              backgroundColor: '#111827',
              pointStyle: 'triangle',
              pointRadius: 5,
            },
          ]),
        },
        options: { scales: { x: axis('MMACs'), y: axis('median latency (ms)') } },
      });
      driftNote.textContent = driftText(anchors);
      const t0 = anchors.length ? Date.parse(anchors[0].at) : 0;
      const minutes = (iso: string) => (Date.parse(iso) - t0) / 60_000;
      drawChart(driftChart, 'drift-chart', `anchor median latency over time, ${anchors.length} points`, {
        type: 'line',
        data: {
          datasets: [...new Set(anchors.map((a) => a.space))].flatMap((space) => {
            const pts = anchors.filter((a) => a.space === space);
            return [
              { label: `${space} anchor median`, data: pts.map((a) => ({ x: minutes(a.at), y: a.medianMs })), borderColor: colorOf(space), backgroundColor: colorOf(space), tension: 0 },
              { label: `${space} anchor p90`, data: pts.map((a) => ({ x: minutes(a.at), y: a.p90Ms ?? a.medianMs })), borderColor: colorOf(space, 0.35), borderDash: [4, 3], pointRadius: 0, tension: 0 },
            ];
          }),
        },
        options: { scales: { x: axis(anchors.length ? `minutes since ${time(anchors[0].at)}` : 'minutes'), y: axis('latency (ms)') } },
      });
      fill(
        list.body,
        recent.length === 0
          ? h('p', { class: 'muted' }, 'No measurements yet.')
          : table(['Finished', 'Sweep', 'Subnet / part', 'r', 'MACs', 'Median', 'p90', 'CV', 'Status'], recent.slice(0, 30).map(recentRow), { class: 'recent' }),
      );
    },
  };
};
