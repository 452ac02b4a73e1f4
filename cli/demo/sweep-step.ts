/**
 * The demo's measurements: the same subnets (one seed) swept on every demo device, followed with
 * a progress bar, then printed side by side.
 *
 * Settings: 3+ warm-up runs (>= 0.2 s) and 20+ timed runs (>= 0.5 s), one re-measure when CV
 * > 0.1. A w1.0 subnet runs in ~5-40 ms on one 2-core box, so a job takes ~1-2 s including the
 * ONNX export, its storage and the model load: 30 subnets + 4 anchor runs in ~1-2 minutes.
 * That is fewer runs than the farm's defaults (30 runs, 1 s), and the table says so.
 * Threads: one core is left to the coordinator and the other agent (which share this box), since
 * an intra-op pool as wide as the machine turns any co-running process into timing noise.
 */
import { availableParallelism } from 'node:os';
import type { MeasurementSettingsInput } from '../../core/measurement';
import { unwrap } from '../client';
import { fetchMeasurements } from '../commands/measurements';
import { formatTable, type Cell } from '../output';
import { followSweep } from '../sweep-follow';
import type { DemoContext, DemoStep } from './context';

export const DEMO_SETTINGS: MeasurementSettingsInput = {
  warmupRuns: 3,
  warmupMinMs: 200,
  runs: 20,
  minTimedMs: 500,
  maxCv: 0.1,
  maxRemeasures: 1,
  threads: Math.max(1, availableParallelism() - 1),
};
export const DEMO_ANCHOR_EVERY = 10;

export const sweepStep: DemoStep = {
  name: 'sweep',
  async run(ctx) {
    const { space, count, seed } = ctx.options;
    for (const device of ctx.devices) {
      const { sweep } = await unwrap(
        ctx.client.api.sweeps.$post({ json: { device: device.name, space, count, seed, strategy: 'macs-stratified', anchorEvery: DEMO_ANCHOR_EVERY, settings: DEMO_SETTINGS } }),
      );
      device.sweepId = sweep.id;
      ctx.io.out.write(`sweep ${sweep.id}: ${count} ${space} subnets (macs-stratified, seed ${seed}) + ${sweep.progress.total - count} anchor runs on ${device.name}\n`);
    }
    const abort = new AbortController();
    for (const device of ctx.devices) {
      const final = await followSweep(ctx.client, device.sweepId!, ctx.io, abort.signal);
      if (final.progress.failed > 0) {
        const { sweep } = await unwrap(ctx.client.api.sweeps[':id'].$get({ param: { id: String(final.id) } }));
        for (const f of sweep.failures.slice(0, 5)) ctx.io.err.write(`  job ${f.jobId} (subnet ${f.subnetId}) failed: ${f.error}\n`);
      }
    }
  },
};

const num = (v: number | null | undefined, digits: number): Cell => (v === null || v === undefined ? null : Number(v.toFixed(digits)));

/** One row per subnet (smallest MACs first) with median and CV on each device; then the anchor's drift. */
export const resultsStep: DemoStep = {
  name: 'results',
  async run(ctx) {
    const perDevice = new Map<string, Awaited<ReturnType<typeof fetchMeasurements>>>();
    for (const device of ctx.devices) {
      if (device.sweepId === undefined) continue;
      perDevice.set(device.name, await fetchMeasurements(ctx.client, { sweep: String(device.sweepId) }, 100_000));
    }
    const subnets = new Map<string, { id: string; r: number | null; macs: number | null }>();
    for (const rows of perDevice.values()) for (const m of rows) if (!m.anchor && m.subnetId) subnets.set(m.subnetId, { id: m.subnetId, r: m.r, macs: m.macs });
    const ordered = [...subnets.values()].sort((a, b) => (a.macs ?? 0) - (b.macs ?? 0));
    const headers = ['subnet id', 'r', 'MMACs'];
    for (const name of perDevice.keys()) headers.push(`${name} median ms`, `${name} CV`);
    const rows: Cell[][] = ordered.map((s) => {
      const row: Cell[] = [s.id, s.r, num(s.macs === null ? null : s.macs / 1e6, 1)];
      for (const measured of perDevice.values()) {
        const m = measured.find((x) => x.subnetId === s.id && !x.anchor);
        row.push(m?.status === 'failed' ? 'failed' : num(m?.medianMs, 2), num(m?.cv, 3));
      }
      return row;
    });
    ctx.io.out.write(`\n${formatTable(headers, rows)}`);
    for (const [name, measured] of perDevice) {
      const anchor = measured.filter((m) => m.anchor && m.medianMs !== null);
      if (anchor.length < 2) continue;
      const medians = anchor.map((m) => m.medianMs!);
      const spread = (Math.max(...medians) - Math.min(...medians)) / Math.min(...medians);
      ctx.io.out.write(`anchor ${anchor[0].subnetId} on ${name}, re-measured every ${DEMO_ANCHOR_EVERY} jobs: ${medians.map((v) => v.toFixed(2)).join(', ')} ms (spread ${(spread * 100).toFixed(1)}%)\n`);
    }
    const s = DEMO_SETTINGS;
    ctx.io.out.write(`settings: >= ${s.warmupRuns} warm-up runs (>= ${s.warmupMinMs} ms), >= ${s.runs} timed runs (>= ${s.minTimedMs} ms), CV limit ${s.maxCv}, ${s.threads} thread(s) per run: lighter than the farm's defaults to keep the demo short\n`);
  },
};
