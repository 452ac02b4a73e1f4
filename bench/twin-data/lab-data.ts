/**
 * Real latencies measured on this machine by collect.ts, boiled down to a small committed file
 * per device (test/server/twins/fixtures/lab-*.json): each subnet's config and, per pass, the
 * wall-clock median, min and p10 and the CPU time per run; each part's numbers likewise. Tests and
 * benchmarks load them with `loadLabData`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SubnetConfig } from '../../core/config';
import type { LatencySample } from '../../server/twins/families';
import type { TwinStatistic } from '../../server/twins/twin';

export interface LabStats {
  median: number;
  min: number;
  p10: number;
  cpu: number;
}

export interface LabData {
  device: string;
  space: string;
  /** How and where it was measured, for anyone reading the numbers. */
  provenance: Record<string, string | number>;
  subnets: { config: SubnetConfig; passes: LabStats[] }[];
  parts: [string, LabStats][];
}

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../test/server/twins/fixtures');

export function loadLabData(device: string): LabData {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, `lab-${device}.json`), 'utf8')) as LabData;
}

/** Samples of one pass (or the median over passes when `pass` is omitted). */
export function labSamples(data: LabData, statistic: TwinStatistic, pass?: number): LatencySample[] {
  return data.subnets
    .filter((s) => pass === undefined || s.passes[pass] !== undefined)
    .map((s) => {
      const values = (pass === undefined ? s.passes : [s.passes[pass]]).map((p) => p[statistic]).sort((a, b) => a - b);
      const mid = Math.floor(values.length / 2);
      return { config: s.config, ms: values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2 };
    });
}

export function labTableEntries(data: LabData, statistic: TwinStatistic): Map<string, number> {
  return new Map(data.parts.map(([key, stats]) => [key, stats[statistic]]));
}
