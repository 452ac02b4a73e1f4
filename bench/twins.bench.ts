/**
 * Latency twins on real measurements of this machine (test/server/twins/fixtures/lab-*.json,
 * collected by bench/twin-data/collect.ts), side by side on the same held-out subnets:
 * the noise ceiling (a second pass over the same subnets), the MACs fit, the lookup-table sum,
 * learned twins, and transfer to another runtime at 5..50 measurements next to from-scratch.
 */
import type { Benchmark, BenchContext } from './run';
import { createRng } from '../core/rng';
import { SPACES } from '../core/space';
import { subnetId } from '../core/subnet-id';
import { evaluateOn, learningCurve } from '../server/twins/evaluate';
import { TWIN_FAMILIES, type FitContext, type LatencySample, type TwinFamily } from '../server/twins/families';
import { fitTwins } from '../server/twins/fit';
import { twinMetrics, type TwinMetrics } from '../server/twins/metrics';
import { LatencyTable } from '../server/twins/table';
import type { TwinStatistic } from '../server/twins/twin';
import { labSamples, labTableEntries, loadLabData, type LabData } from './twin-data/lab-data';

const space = SPACES['ofa-mbv3-w1.0'];
const HELD_OUT = 100;

const pct = (v: number) => `${(100 * v).toFixed(1)}%`.padStart(6);
function row(label: string, m: TwinMetrics | null): string {
  if (!m) return `${label.padEnd(28)} (not applicable)`;
  return `${label.padEnd(28)} ±5% ${pct(m.within5)}  ±10% ${pct(m.within10)}  RMSPE ${pct(m.rmspe)}  τ ${m.kendallTau.toFixed(3)}  (n=${m.n})`;
}

/** A fixed split: the same held-out subnets for every family and every statistic. */
function split(samples: LatencySample[], seed: string): { train: LatencySample[]; heldOut: LatencySample[] } {
  const order = createRng(seed).shuffle(samples.map((_, i) => i));
  return { heldOut: order.slice(0, HELD_OUT).map((i) => samples[i]), train: order.slice(HELD_OUT).map((i) => samples[i]) };
}

function noiseCeiling(ctx: BenchContext, data: LabData, statistic: TwinStatistic): void {
  const both = data.subnets.filter((s) => s.passes[0] && s.passes[1]);
  if (both.length === 0) return ctx.print(`noise ceiling (${statistic}): no subnet was measured twice`);
  const m = twinMetrics(
    both.map((s) => s.passes[1][statistic]),
    both.map((s) => s.passes[0][statistic]),
  );
  ctx.print(row(`noise ceiling: pass 2 vs 1`, m));
}

function sideBySide(ctx: BenchContext, data: LabData, statistic: TwinStatistic): void {
  const table = data.parts.length > 0 ? new LatencyTable(space, labTableEntries(data, statistic)) : null;
  // The median over both passes, as the farm collapses repeated measurements of a subnet.
  const samples = labSamples(data, statistic);
  const { train, heldOut } = split(samples, 'bench/held-out');
  const fit: FitContext = { space, table, sources: [], seed: 0 };
  ctx.print(`-- ${data.device}, statistic ${statistic}: fitted on ${train.length} measured subnets, judged on ${heldOut.length} others`);
  noiseCeiling(ctx, data, statistic);
  if (table) {
    const raw = twinMetrics(
      heldOut.map((s) => table.sum(s.config)),
      heldOut.map((s) => s.ms),
    );
    ctx.print(row('table sum, raw (reference)', raw));
  }
  for (const family of TWIN_FAMILIES.filter((f) => f !== 'transfer')) {
    if ((family === 'table-sum' || family === 'ridge-table') && !table) continue;
    ctx.print(row(family, evaluateOn(family, train, heldOut, fit).metrics));
  }
  const curve = learningCurve(['macs', ...(table ? (['table-sum', 'ridge-table'] as const) : []), 'ridge', 'boosted'], { train, heldOut }, fit);
  ctx.print(`learning curve (held-out RMSPE / ±10%):`);
  for (const n of [...new Set(curve.map((p) => p.n))]) {
    const cells = curve.filter((p) => p.n === n).map((p) => `${p.family} ${p.metrics ? `${pct(p.metrics.rmspe)}/${pct(p.metrics.within10)}` : '-'}`);
    ctx.print(`  n=${String(n).padStart(3)}: ${cells.join('  ')}`);
  }
}

/**
 * Transfer to a new runtime: the source twin is fitted on the source device's subnets except the
 * target's held-out ones; each family is fitted on the first n target measurements. Mean RMSPE
 * (and ±10%) over 8 random splits, since 5-20 subnets make any one split noisy.
 */
function transfer(ctx: BenchContext, source: LabData, target: LabData, statistic: TwinStatistic): void {
  const sourceSamples = labSamples(source, statistic);
  const targetById = new Map(labSamples(target, statistic).map((s) => [subnetId(space, s.config), s]));
  ctx.print(`-- transfer ${source.device} -> ${target.device}, statistic ${statistic}: mean over 8 splits of 100 held-out subnets (RMSPE / ±10% / τ)`);
  noiseCeiling(ctx, target, statistic);
  const sizes = [5, 10, 20, 50];
  const families: TwinFamily[] = ['transfer', 'macs', 'ridge', 'boosted'];
  const sums = new Map<string, { rmspe: number; w10: number; tau: number; n: number }>();
  for (let rep = 0; rep < 8; rep++) {
    const order = createRng(`bench/transfer/${rep}`).shuffle(sourceSamples.map((_, i) => i));
    const held = new Set(order.slice(0, HELD_OUT));
    const twin = fitTwins({ space, device: source.device, samples: sourceSamples.filter((_, i) => !held.has(i)), families: ['macs', 'ridge'], folds: 3, learningCurveSizes: [] }).active;
    const ordered = order.map((i) => targetById.get(subnetId(space, sourceSamples[i].config))).filter((s) => s !== undefined);
    const fit: FitContext = { space, table: null, sources: [{ device: source.device, predict: (c) => twin.predict(c) }], seed: 0 };
    for (const n of sizes) {
      for (const family of families) {
        try {
          const m = evaluateOn(family, ordered.slice(HELD_OUT, HELD_OUT + n), ordered.slice(0, HELD_OUT), fit).metrics;
          const key = `${n}/${family}`;
          const acc = sums.get(key) ?? { rmspe: 0, w10: 0, tau: 0, n: 0 };
          sums.set(key, { rmspe: acc.rmspe + m.rmspe, w10: acc.w10 + m.within10, tau: acc.tau + m.kendallTau, n: acc.n + 1 });
        } catch {
          // too few measurements for this family
        }
      }
    }
  }
  for (const n of sizes) {
    const cells = families.map((family) => {
      const a = sums.get(`${n}/${family}`);
      return a ? `${family} ${pct(a.rmspe / a.n)}/${pct(a.w10 / a.n)}/τ${(a.tau / a.n).toFixed(2)}` : `${family} -`;
    });
    ctx.print(`  n=${String(n).padStart(2)}: ${cells.join('  ')}`);
  }
}

const bench: Benchmark = {
  name: 'latency twins on real measurements: noise ceiling, MACs fit, table sum, learned, transfer',
  async run(ctx) {
    const node = loadLabData('ort-node-1t');
    const web = loadLabData('ort-web-1t');
    ctx.print(`data: ${node.provenance.machine}; ${node.provenance.runtime} and ${web.provenance.runtime}`);
    ctx.print('"cpu" = process CPU time per run (robust to other jobs on the shared cores); "median" = wall clock');
    for (const statistic of ['cpu', 'median'] as const) sideBySide(ctx, node, statistic);
    sideBySide(ctx, web, 'cpu');
    transfer(ctx, node, web, 'cpu');
    transfer(ctx, web, node, 'cpu');
    transfer(ctx, node, web, 'median');
  },
};

export default bench;
