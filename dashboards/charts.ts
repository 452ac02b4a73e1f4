/**
 * Chart.js (from the project's node_modules, bundled) with the parts the pages use. Charts are
 * kept by id and updated in place when live data arrives, so a page never flickers or leaks
 * canvases. `window.ofaDashboard.charts` lets people (and tests) inspect what is drawn.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
} from 'chart.js';
import { h } from './dom';

Chart.register(ScatterController, LineController, BarController, LinearScale, LogarithmicScale, CategoryScale, PointElement, LineElement, BarElement, Legend, Tooltip, Filler);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = 'system-ui, sans-serif';

const charts = new Map<string, Chart>();

declare global {
  interface Window {
    ofaDashboard?: { charts: Map<string, Chart> };
  }
}
window.ofaDashboard = { charts };

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

/**
 * Colours for a set of names (devices, twin families): by sorted position, so names never share a
 * colour while there are fewer than the palette's eight, and a name keeps its colour on every
 * chart of a page.
 */
export function colorsFor(names: Iterable<string>): (name: string, alpha?: number) => string {
  const sorted = [...new Set(names)].sort();
  return (name, alpha = 1) => withAlpha(PALETTE[Math.max(0, sorted.indexOf(name)) % PALETTE.length], alpha);
}

function withAlpha(hex: string, alpha: number): string {
  if (alpha >= 1) return hex;
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

const typeOf = (config: ChartConfiguration): string => String((config as { type?: string }).type ?? 'mixed');

/**
 * Draws (or redraws in place) chart `id` inside `holder`. `label` describes the chart for
 * screen readers.
 */
export function drawChart(holder: HTMLElement, id: string, label: string, config: ChartConfiguration): Chart {
  const existing = charts.get(id);
  if (existing && existing.canvas.isConnected && holder.contains(existing.canvas) && existing.canvas.dataset.type === typeOf(config)) {
    existing.canvas.setAttribute('aria-label', label);
    existing.data = config.data;
    existing.options = config.options ?? {};
    existing.update('none');
    return existing;
  }
  existing?.destroy();
  const canvas = h('canvas', { id, role: 'img', 'aria-label': label, 'data-type': typeOf(config) });
  holder.replaceChildren(h('div', { class: 'chart' }, canvas));
  const chart = new Chart(canvas, config);
  charts.set(id, chart);
  return chart;
}

/** Forgets charts whose canvas left the page. */
export function pruneCharts(): void {
  for (const [id, chart] of charts) {
    if (!chart.canvas.isConnected) {
      chart.destroy();
      charts.delete(id);
    }
  }
}

export interface XY {
  x: number;
  y: number;
}

/** The y = x line and the ±10% band around it, over [lo, hi], as three line datasets. */
export function bandDatasets(lo: number, hi: number, band = 0.1): ChartDataset<'line', XY[]>[] {
  const line = (factor: number) => [
    { x: lo, y: lo * factor },
    { x: hi, y: hi * factor },
  ];
  const common = { type: 'line' as const, pointRadius: 0, borderWidth: 1, tension: 0 };
  return [
    { ...common, label: `−${band * 100}%`, data: line(1 - band), borderColor: 'rgba(100,116,139,0.5)', borderDash: [4, 3], fill: false },
    { ...common, label: `±${band * 100}% band`, data: line(1 + band), borderColor: 'rgba(100,116,139,0.5)', borderDash: [4, 3], backgroundColor: 'rgba(148,163,184,0.18)', fill: '-1' },
    { ...common, label: 'predicted = measured', data: line(1), borderColor: 'rgba(15,23,42,0.6)', fill: false },
  ];
}

/** Axis options with a title. */
export function axis(title: string, extra: Record<string, unknown> = {}) {
  return { type: 'linear' as const, title: { display: true, text: title }, ...extra };
}
