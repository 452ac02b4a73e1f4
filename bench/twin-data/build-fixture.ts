/**
 * Boils collect.ts output down to test/server/twins/fixtures/lab-DEVICE.json:
 *   npx tsx bench/twin-data/build-fixture.ts --device ort-node-1t --subnets A.jsonl [--parts B.jsonl]
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { arch, cpus, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SubnetConfig } from '../../core/config';
import { FIXTURE_DIR, type LabData, type LabStats } from './lab-data';

const { values } = parseArgs({ options: { device: { type: 'string' }, subnets: { type: 'string' }, parts: { type: 'string' } } });
if (!values.device || !values.subnets) throw new Error('--device and --subnets are required');

interface Row {
  space: string;
  pass: number;
  key: string;
  config?: SubnetConfig;
  stats: { medianMs: number; minMs: number; p10Ms: number; cpuMsPerRun: number };
  at: number;
}
const read = (file: string): Row[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);
const round = (v: number) => Math.round(v * 1e4) / 1e4;
const stats = (r: Row): LabStats => ({ median: round(r.stats.medianMs), min: round(r.stats.minMs), p10: round(r.stats.p10Ms), cpu: round(r.stats.cpuMsPerRun) });

const rows = read(values.subnets);
const byKey = new Map<string, { config: SubnetConfig; passes: LabStats[] }>();
for (const row of rows.sort((a, b) => a.pass - b.pass)) {
  const entry = byKey.get(row.key) ?? { config: row.config!, passes: [] };
  entry.passes[row.pass] = stats(row);
  byKey.set(row.key, entry);
}
const parts: [string, LabStats][] = values.parts && existsSync(values.parts) ? read(values.parts).map((r) => [r.key, stats(r)]) : [];
const times = rows.map((r) => r.at);
const data: LabData = {
  device: values.device,
  space: rows[0].space,
  provenance: {
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores shared with other jobs, Linux ${release()} ${arch()}`,
    runtime: values.device.startsWith('ort-web') ? 'onnxruntime-web 1.23.2 (wasm, in Node)' : 'onnxruntime-node 1.23.2 (CPU EP)',
    weights: 'seeded random (seed 0), BN folded',
    settings: 'warm-up >= 5 runs and 0.5 s; timed >= 30 runs and 1 s; parts: 10 / 0.15 s, 50 / 0.3 s',
    measuredFrom: new Date(Math.min(...times)).toISOString(),
    measuredTo: new Date(Math.max(...times)).toISOString(),
  },
  subnets: [...byKey.values()],
  parts,
};
const out = join(FIXTURE_DIR, `lab-${values.device}.json`);
writeFileSync(out, `${JSON.stringify(data)}\n`);
process.stderr.write(`wrote ${out}: ${data.subnets.length} subnets, ${parts.length} parts\n`);
