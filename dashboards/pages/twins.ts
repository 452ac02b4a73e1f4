/**
 * Twin quality: for a device and space, every twin family of a version side by side, each with
 * its predicted-vs-measured scatter on held-out subnets (never used for fitting) and the ±10%
 * band; and the learning curve (±10% accuracy against the number of measured subnets).
 */
import { api, type TwinFamilyQuality, type TwinQuality } from '../api';
import { axis, bandDatasets, colorsFor, drawChart } from '../charts';
import { fill, h, pct, section, table, time } from '../dom';
import type { PageFactory } from '../page';

function familyCard(q: TwinQuality, f: TwinFamilyQuality, colorOf: (name: string, alpha?: number) => string): HTMLElement {
  const holder = h('div');
  const card = h(
    'div',
    { class: `twin-card${f.active ? ' active' : ''}`, 'data-family': f.family },
    h('h3', {}, f.family, f.active ? h('span', { class: 'badge online' }, 'active') : null),
    h('p', { class: 'small' }, `±10%: ${pct(f.within10)} · ±5%: ${pct(f.within5)} · RMSPE ${pct(f.rmspe, 1)} · τ ${f.kendallTau?.toFixed(3) ?? '–'}`, h('span', { class: 'muted' }, f.basis === 'held-out' ? ` (${f.heldOut} held-out subnets)` : ' (cross-validation; too few subnets to hold some out)')),
    holder,
  );
  const values = f.points.flatMap((p) => [p.measured, p.predicted]);
  const lo = values.length ? Math.min(...values) * 0.95 : 0;
  const hi = values.length ? Math.max(...values) * 1.05 : 1;
  drawChart(holder, `twin-${f.family}`, `${f.family}: predicted against measured latency of ${f.points.length} held-out subnets`, {
    type: 'scatter',
    data: {
      datasets: [
        ...bandDatasets(lo, hi),
        {
          type: 'scatter',
          label: `${f.family} held-out subnets`,
          data: f.points.map((p) => ({ x: p.measured, y: p.predicted })),
          backgroundColor: colorOf(f.family, 0.8),
          pointRadius: 3.5,
        },
      ],
    },
    options: {
      scales: { x: axis(`measured ${q.statistic ?? 'median'} latency (ms)`), y: axis('predicted latency (ms)') },
      plugins: { legend: { display: false } },
    },
  });
  return card;
}

export const twinsPage: PageFactory = ({ root, query }) => {
  const device = h('select', { id: 'twins-device' });
  const space = h('select', { id: 'twins-space' });
  const version = h('select', { id: 'twins-version' });
  const note = h('p', { class: 'muted', id: 'twins-note' });
  const cards = h('div', { class: 'twin-grid', id: 'twin-cards' });
  const curve = h('div');
  const metrics = h('div');
  let wanted = { device: query.get('device') ?? '', space: query.get('space') ?? '', version: query.get('version') ?? '' };
  let page: { refresh(): Promise<void> } | null = null;
  const choose = () => {
    wanted = { device: device.value, space: space.value, version: '' };
    history.replaceState(null, '', `/dashboard/twins?${new URLSearchParams({ device: wanted.device, space: wanted.space })}`);
    void page?.refresh();
  };
  device.addEventListener('change', choose);
  space.addEventListener('change', choose);
  version.addEventListener('change', () => ((wanted.version = version.value), void page?.refresh()));

  const families = section('Predicted against measured latency, held-out subnets, per family', 'twin-families');
  families.body.append(h('div', { class: 'inline-form' }, h('label', {}, 'Device ', device), h('label', {}, 'Space ', space), h('label', {}, 'Version ', version)), note, cards);
  const learning = section('Learning curve: ±10% accuracy on the held-out subnets against measured subnets used for fitting', 'learning');
  learning.body.append(curve, metrics);
  fill(root, h('h1', {}, 'Twin quality'), families.el, learning.el);

  page = {
    async refresh() {
      const { devices } = await api.overview();
      const withSpaces = devices.map((d) => ({ name: d.name, spaces: [...new Set([...d.activeTwins.map((t) => t.space), ...d.spaces.map((s) => s.space)])] })).filter((d) => d.spaces.length > 0);
      const firstWithTwin = devices.find((d) => d.activeTwins.length > 0);
      const name = withSpaces.some((d) => d.name === wanted.device) ? wanted.device : (firstWithTwin?.name ?? withSpaces[0]?.name ?? '');
      fill(device, ...withSpaces.map((d) => h('option', { value: d.name, selected: d.name === name }, d.name)));
      if (!name) {
        note.textContent = 'No device has measurements yet: twins are fitted from a device’s measured subnets.';
        fill(cards);
        return;
      }
      const spaces = withSpaces.find((d) => d.name === name)!.spaces;
      const preferred = devices.find((d) => d.name === name)?.activeTwins[0]?.space;
      const spaceName = spaces.includes(wanted.space) ? wanted.space : (preferred ?? spaces[0]);
      fill(space, ...spaces.map((s) => h('option', { value: s, selected: s === spaceName }, s)));
      const q = await api.twins(name, spaceName, wanted.version ? Number(wanted.version) : undefined);
      fill(version, ...q.versions.map((v) => h('option', { value: v, selected: v === q.version }, `v${v}${v === q.versions[0] ? ' (newest)' : ''}`)));
      note.textContent =
        q.version === null
          ? `No twin of ${name} for ${spaceName} yet (fitted when a sweep on the device completes, or: ofa-farm twin refit).`
          : `Version ${q.version}, fitted ${time(q.createdAt)} on ${q.nMeasurements} measured subnets (${q.statistic ?? 'median'} latency); ${q.families.length} families side by side.`;
      const colorOf = colorsFor(q.families.map((f) => f.family));
      fill(cards, ...q.families.map((f) => familyCard(q, f, colorOf)));
      drawChart(curve, 'learning-curve', `learning curve of ${q.families.length} twin families`, {
        type: 'line',
        data: {
          datasets: q.families.map((f) => ({
            label: f.family,
            data: f.curve.filter((p) => p.within10 !== null).map((p) => ({ x: p.n, y: 100 * (p.within10 as number) })),
            borderColor: colorOf(f.family),
            backgroundColor: colorOf(f.family),
            borderWidth: f.active ? 3 : 1.5,
            tension: 0,
          })),
        },
        options: { scales: { x: axis('measured subnets used for fitting'), y: axis('held-out predictions within ±10% (%)', { min: 0, max: 100 }) }, plugins: { legend: { position: 'bottom' } } },
      });
      fill(
        metrics,
        table(
          ['Family', '', 'Basis', 'Held-out', '±5%', '±10%', 'RMSPE', 'Kendall τ'],
          q.families.map((f) => [f.family, f.active ? 'active' : '', f.basis, String(f.heldOut), pct(f.within5), pct(f.within10), pct(f.rmspe, 1), f.kendallTau?.toFixed(3) ?? '–']),
          { class: 'twin-metrics' },
        ),
      );
    },
  };
  return { title: 'Twin quality', topics: ['twins'], refresh: () => page!.refresh() };
};
