/** Subnets: the recently measured ones, and one subnet drawn with its cost and its measurements on every device. */
import { isSpaceName, SPACES } from '../../core/space';
import { api } from '../api';
import { colorsFor, drawChart } from '../charts';
import { devicePath, fill, h, link, mmacs, mparams, ms, pct, section, since, subnetPath, table } from '../dom';
import type { PageFactory } from '../page';
import { subnetDiagram } from '../subnet-diagram';

export const subnetsPage: PageFactory = ({ root }) => {
  const id = h('input', { id: 'subnet-id', placeholder: '16 hex digits', pattern: '[0-9a-f]{16}', size: 20, required: true });
  const open = h('form', { class: 'inline-form' }, h('label', {}, 'Subnet id ', id), h('button', { type: 'submit' }, 'Open'));
  open.addEventListener('submit', (event) => {
    event.preventDefault();
    location.assign(subnetPath(id.value.trim()));
  });
  const list = section('Recently measured subnets', 'subnets');
  fill(root, h('h1', {}, 'Subnets'), open, list.el);
  return {
    title: 'Subnets',
    topics: ['measurements'],
    async refresh() {
      const { subnets } = await api.subnets(undefined, 100);
      fill(
        list.body,
        subnets.length === 0
          ? h('p', { class: 'muted' }, 'No subnet has been measured yet.')
          : table(
              ['Subnet', 'Space', 'r', 'MACs', 'Params', 'Measurements', 'Last measured'],
              subnets.map((s) => [link(subnetPath(s.id), s.id), s.space, s.r, mmacs(s.macs), mparams(s.params), s.measurements, since(s.lastAt)]),
              { class: 'subnets' },
            ),
      );
    },
  };
};

export const subnetPage: PageFactory = ({ root, path }) => {
  const id = path[1];
  const head = h('div');
  const drawing = section('Stages and blocks', 'diagram');
  const chart = section('Measured latency on every device', 'subnet-latency');
  const chartHolder = h('div');
  const rows = h('div');
  chart.body.append(chartHolder, rows);
  fill(root, h('h1', {}, `Subnet ${id}`), head, drawing.el, chart.el);
  let drawn = false;
  return {
    title: `Subnet ${id}`,
    topics: ['measurements'],
    async refresh() {
      const { subnet, devices } = await api.subnet(id);
      fill(
        head,
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Space'),
          h('dd', {}, subnet.space),
          h('dt', {}, 'Resolution'),
          h('dd', {}, `${subnet.r}×${subnet.r}`),
          h('dt', {}, 'Depths'),
          h('dd', {}, subnet.config.d.join(' · ')),
          h('dt', {}, 'Cost'),
          h('dd', { 'data-field': 'cost' }, `${mmacs(subnet.macs)} · ${mparams(subnet.params)}`),
          h('dt', {}, 'Config'),
          h('dd', {}, h('code', { class: 'config' }, JSON.stringify(subnet.config))),
        ),
      );
      if (!drawn && isSpaceName(subnet.space)) {
        fill(drawing.body, subnetDiagram(SPACES[subnet.space], subnet.config), h('p', { class: 'muted small' }, 'Box height: kernel size (3, 5, 7; darker is larger). Box width: expand ratio. Hollow boxes: blocks beyond the stage’s depth.'));
        drawn = true;
      }
      const colorOf = colorsFor(devices.map((d) => d.device));
      drawChart(chartHolder, 'subnet-latency-chart', `median latency of subnet ${id} on ${devices.length} devices`, {
        type: 'bar',
        data: {
          labels: devices.map((d) => d.device),
          datasets: [
            { type: 'bar', label: 'median (ms)', data: devices.map((d) => d.medianMs), backgroundColor: devices.map((d) => colorOf(d.device, 0.75)), maxBarThickness: 90 },
            { type: 'line', label: 'min (ms)', data: devices.map((d) => d.minMs), showLine: false, pointStyle: 'line', pointRadius: 12, borderColor: '#0f172a', borderWidth: 2 },
            { type: 'line', label: 'p90 (ms)', data: devices.map((d) => d.p90Ms), showLine: false, pointStyle: 'line', pointRadius: 12, borderColor: '#b91c1c', borderWidth: 2 },
          ],
        },
        options: { scales: { y: { title: { display: true, text: 'latency (ms)' }, beginAtZero: true } } },
      });
      fill(
        rows,
        devices.length === 0
          ? h('p', { class: 'muted' }, 'Not measured on any device yet.')
          : table(
              ['Device', 'Kind', 'Measurements', 'Median', 'Min', 'p90', 'CV', 'Last'],
              devices.map((d) => [link(devicePath(d.device), d.device), d.kind, d.n, ms(d.medianMs), ms(d.minMs), ms(d.p90Ms), pct(d.cv, 1), since(d.lastAt)]),
              { class: 'subnet-devices' },
            ),
      );
    },
  };
};
