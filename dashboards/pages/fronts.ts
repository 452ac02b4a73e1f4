/**
 * Pareto fronts: for a space, each device's newest front overlaid on one chart: accuracy (or the
 * labelled MACs proxy) against predicted latency, the chosen subnet per budget highlighted, and
 * verified subnets drawn at their measured latency. A front can be computed from the page.
 */
import type { ChartDataset } from 'chart.js';
import { SPACE_NAMES } from '../../core/space';
import { api, client, unwrap, type DeviceFront, type FrontPoint, type FrontsView } from '../api';
import { axis, colorsFor, drawChart, type XY } from '../charts';
import { devicePath, fill, h, link, mmacs, ms, notice, pct, section, subnetPath, table, time } from '../dom';
import type { PageFactory } from '../page';

type Objective = 'accuracy' | 'macs';

const score = (objective: Objective, p: FrontPoint): number => (objective === 'accuracy' ? 100 * (p.predictedAccuracy ?? 0) : p.macs / 1e6);
const scoreText = (objective: Objective, p: FrontPoint): string => (objective === 'accuracy' ? pct(p.predictedAccuracy, 2) : mmacs(p.macs));

function datasets(objective: Objective, fronts: DeviceFront[], colorOf: (name: string, alpha?: number) => string): ChartDataset<'scatter', XY[]>[] {
  return fronts.flatMap(({ device, front }) => {
    const c = colorOf(device.name);
    const nd = [...front.nonDominated].sort((a, b) => a.predictedLatencyMs - b.predictedLatencyMs);
    const verified = front.points.filter((p) => p.measuredLatencyMs !== null);
    return [
      { label: `${device.name}: non-dominated (predicted)`, data: nd.map((p) => ({ x: p.predictedLatencyMs, y: score(objective, p) })), borderColor: colorOf(device.name, 0.45), backgroundColor: colorOf(device.name, 0.45), showLine: true, pointRadius: 2, borderWidth: 1 },
      { label: `${device.name}: chosen per budget`, data: front.points.map((p) => ({ x: p.predictedLatencyMs, y: score(objective, p) })), backgroundColor: c, borderColor: '#111827', borderWidth: 1.5, pointStyle: 'rectRot', pointRadius: 8 },
      ...(verified.length
        ? [{ label: `${device.name}: measured (verify)`, data: verified.map((p) => ({ x: p.measuredLatencyMs as number, y: score(objective, p) })), borderColor: c, backgroundColor: c, borderWidth: 2.5, pointStyle: 'crossRot' as const, pointRadius: 9 }]
        : []),
    ];
  });
}

function frontTable(objective: Objective, { device, front, nonDominatedTotal }: DeviceFront): HTMLElement {
  return h(
    'div',
    { class: 'front-table', 'data-device': device.name },
    h('h3', {}, link(devicePath(device.name), device.name), h('span', { class: 'muted small' }, ` · run ${front.runId}, ${time(front.createdAt)}, twin ${front.twin.family} v${front.twin.version}${front.predictor ? `, predictor v${front.predictor.version}` : ''}${nonDominatedTotal > front.nonDominated.length ? ` · ${front.nonDominated.length} of ${nonDominatedTotal} non-dominated subnets plotted` : ''}`)),
    table(
      ['Budget', 'Chosen subnet', 'Predicted', 'Measured', objective === 'accuracy' ? 'Predicted top-1' : 'MACs (proxy)'],
      front.points.map((p) => [
        ms(p.budgetMs),
        h('a', { href: subnetPath(p.subnetId) }, p.subnetId),
        ms(p.predictedLatencyMs),
        p.measuredLatencyMs === null ? h('span', { class: 'muted' }, 'not verified') : `${ms(p.measuredLatencyMs)} (${(p.measuredLatencyMs / (p.budgetMs ?? 1)).toFixed(2)}× budget)`,
        scoreText(objective, p),
      ]),
    ),
  );
}

export const frontsPage: PageFactory = ({ root, query }) => {
  const pick = (name: string, options: readonly string[], value: string | null) => h('select', { name, id: `fronts-${name}` }, ...options.map((o) => h('option', { value: o, selected: o === value }, o)));
  const space = pick('space', SPACE_NAMES, query.get('space') ?? 'ofa-mbv3-w1.0');
  const objective = pick('objective', ['accuracy', 'macs'], query.get('objective'));
  const devicesBox = h('span', { class: 'device-choices' });
  const hidden = new Set((query.get('hide') ?? '').split(',').filter(Boolean));
  const note = h('p', { class: 'muted', id: 'fronts-note' });
  const chart = h('div', { id: 'front-chart-holder' });
  const tables = h('div', { class: 'front-tables' });
  const computeDevice = h('select', { id: 'compute-device' });
  const budgets = h('input', { id: 'compute-budgets', value: 'auto', size: 14, title: 'budgets in ms, e.g. 10,15,20, or auto' });
  const computeStatus = h('div', { id: 'compute-status', 'aria-live': 'polite' });
  const computeButton = h('button', { type: 'submit' }, 'Compute front');
  let explicitObjective = query.has('objective');
  let explicitSpace = query.has('space');
  let page: { refresh(): Promise<void> } | null = null;

  const syncUrl = () => {
    const q = new URLSearchParams({ space: space.value, ...(explicitObjective ? { objective: objective.value } : {}), ...(hidden.size ? { hide: [...hidden].join(',') } : {}) });
    history.replaceState(null, '', `/dashboard/fronts?${q}`);
  };
  space.addEventListener('change', () => ((explicitSpace = true), syncUrl(), void page?.refresh()));
  objective.addEventListener('change', () => ((explicitObjective = true), syncUrl(), void page?.refresh()));

  const compute = h('form', { id: 'compute-front', class: 'inline-form' }, h('label', {}, 'Device ', computeDevice), h('label', {}, 'Budgets ', budgets), computeButton);
  compute.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = budgets.value.trim();
    const auto = text === 'auto' || text === '';
    computeStatus.replaceChildren(notice(`Searching the front of ${computeDevice.value} (evolutionary search on its twin; this takes a while)…`, 'info'));
    const pending = client.api.devices[':name'].pareto.$get({
      param: { name: computeDevice.value },
      query: { space: space.value, objective: objective.value, ...(auto ? { auto: '8' } : { budgets: text }) },
    });
    void unwrap(pending)
      .then((f) => computeStatus.replaceChildren(notice(`Front ${f.runId} computed and stored.`, 'ok')))
      .catch((error: unknown) => computeStatus.replaceChildren(notice(`Computing the front failed: ${error instanceof Error ? error.message : String(error)}`)));
  });

  const chartSection = section('Accuracy against predicted latency', 'front');
  const chartTitle = chartSection.el.querySelector('h2')!;
  chartSection.body.append(h('div', { class: 'inline-form' }, h('label', {}, 'Space ', space), h('label', {}, 'Objective ', objective), devicesBox), note, chart, tables);
  const computeSection = section('Compute a front', 'compute');
  computeSection.body.append(compute, computeStatus);
  fill(root, h('h1', {}, 'Pareto fronts'), chartSection.el, computeSection.el);

  page = {
    async refresh() {
      const { devices } = await api.overview();
      let view: FrontsView = await api.fronts(space.value, explicitObjective ? (objective.value as Objective) : undefined);
      // Without a space in the URL, show one that has fronts, else one that a device has a twin of.
      const fallback = view.choices[0]?.space ?? devices.flatMap((d) => d.activeTwins.map((t) => t.space))[0];
      if (!explicitSpace && view.fronts.length === 0 && fallback && fallback !== space.value) {
        space.value = fallback;
        view = await api.fronts(space.value, explicitObjective ? (objective.value as Objective) : undefined);
      }
      if (!explicitObjective) {
        const hasAccuracy = view.choices.some((c) => c.space === space.value && c.objective === 'accuracy');
        objective.value = hasAccuracy ? 'accuracy' : 'macs';
        if (view.fronts.some((f) => f.front.objective.name !== objective.value)) view = await api.fronts(space.value, objective.value as Objective);
      }
      const obj = objective.value as Objective;
      const colorOf = colorsFor(view.fronts.map((f) => f.device.name));
      chartTitle.textContent = obj === 'accuracy' ? 'Predicted accuracy against predicted latency' : 'MACs (proxy for accuracy) against predicted latency';
      const chosen = computeDevice.value;
      const withTwin = devices.filter((d) => d.activeTwins.some((t) => t.space === space.value));
      fill(computeDevice, ...withTwin.map((d) => h('option', { value: d.name, selected: d.name === chosen }, d.name)));
      computeButton.disabled = withTwin.length === 0;
      computeButton.title = withTwin.length === 0 ? `no device has a latency twin of ${space.value} yet` : '';
      fill(
        devicesBox,
        ...view.fronts.map(({ device }) => {
          const box = h('input', { type: 'checkbox', checked: !hidden.has(device.name), 'data-device': device.name });
          box.addEventListener('change', () => (box.checked ? hidden.delete(device.name) : hidden.add(device.name), syncUrl(), void page?.refresh()));
          return h('label', { class: 'device-choice', style: `color:${colorOf(device.name)}` }, box, ` ${device.name}`);
        }),
      );
      const shown = view.fronts.filter((f) => !hidden.has(f.device.name));
      const label = shown[0]?.front.objective.label ?? (obj === 'macs' ? 'MACs' : 'predicted top-1');
      note.textContent =
        view.fronts.length === 0
          ? `No ${obj === 'macs' ? 'MACs-proxy ' : ''}front for ${space.value} yet. Compute one below (the device needs a latency twin), or: ofa-farm pareto --device NAME --space ${space.value}${obj === 'macs' ? ' --objective macs' : ''}.`
          : obj === 'macs'
            ? `Objective: MACs, a proxy for accuracy (most compute within each budget; no accuracy predictor used). ${shown.length} of ${view.fronts.length} devices shown.`
            : `Objective: ${label}. ${shown.length} of ${view.fronts.length} devices shown.`;
      chart.hidden = view.fronts.length === 0;
      drawChart(chart, 'front-chart', `Pareto fronts of ${shown.length} devices for ${space.value}`, {
        type: 'scatter',
        data: { datasets: datasets(obj, shown, colorOf) },
        options: {
          scales: { x: axis('predicted latency (ms); crosses: measured'), y: axis(obj === 'accuracy' ? 'predicted top-1 accuracy (%)' : 'MMACs (proxy for accuracy)') },
          plugins: { legend: { position: 'bottom' } },
        },
      });
      fill(tables, ...shown.map((f) => frontTable(obj, f)));
    },
  };
  // 'sweeps': a verify sweep's results are the measured points.
  return { title: 'Pareto fronts', topics: ['fronts', 'twins', 'devices', 'sweeps'], refresh: () => page!.refresh() };
};
