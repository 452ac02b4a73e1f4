/**
 * Collects real latencies on this machine for twin development and the benchmark:
 *   npx tsx bench/twin-data/collect.ts --device ort-node-1t --what subnets --count 300 --passes 2 --out F.jsonl
 *   npx tsx bench/twin-data/collect.ts --device ort-node-1t --what parts --out F.jsonl
 * Subnets are uniform samples of the space (fixed seed); each pass measures all of them in a new
 * random order, so drift and the noise ceiling show as disagreement between passes. Appends one
 * JSON line per measurement and resumes where a previous run stopped.
 */
import { existsSync, readFileSync, appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MeasurementSettings } from '../../core/measurement';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { SPACES, isSpaceName } from '../../core/space';
import { subnetId } from '../../core/subnet-id';
import { exportPart, exportSubnet, type OnnxExport } from '../../models/export';
import { randomSupernetWeights } from '../../models/random-weights';
import { partKey, spaceParts } from '../../server/twins/parts';
import { LAB_DEVICES, openSession, timeSession, type LabDevice } from './runtimes';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'ort-node-1t' },
    what: { type: 'string', default: 'subnets' },
    space: { type: 'string', default: 'ofa-mbv3-w1.0' },
    count: { type: 'string', default: '300' },
    first: { type: 'string', default: '0' },
    seed: { type: 'string', default: '2026' },
    passes: { type: 'string', default: '1' },
    out: { type: 'string' },
    /** Parts only: resolutions to take parts from, comma separated (default: the whole grid). */
    resolutions: { type: 'string' },
  },
});
const device = values.device as LabDevice;
if (!LAB_DEVICES.includes(device)) throw new Error(`--device must be one of ${LAB_DEVICES.join(', ')}`);
if (!values.out) throw new Error('--out is required');
if (!isSpaceName(values.space!)) throw new Error(`unknown space ${values.space}`);
const space = SPACES[values.space!];
const weights = randomSupernetWeights(space, 0);
const out = values.out;

const done = new Set<string>();
if (existsSync(out)) {
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { key: string; pass: number };
    done.add(`${row.pass}/${row.key}`);
  }
}

interface Item {
  key: string;
  payload: Record<string, unknown>;
  build: () => OnnxExport;
}

let items: Item[];
let settings: MeasurementSettings;
if (values.what === 'subnets') {
  const rng = createRng(Number(values.seed));
  const configs = Array.from({ length: Number(values.first) + Number(values.count) }, () => sampleConfig(space, rng)).slice(Number(values.first));
  items = configs.map((config) => ({ key: subnetId(space, config), payload: { config }, build: () => exportSubnet({ space, config, weights }) }));
  // The farm's defaults, without re-measures: on a shared machine a high CV comes from other
  // processes, and a second pass over all subnets says more about noise than a re-measure.
  settings = MeasurementSettings.parse({ maxRemeasures: 0 });
} else if (values.what === 'parts') {
  const resolutions = values.resolutions ? values.resolutions.split(',').map(Number) : space.resolutions;
  items = spaceParts(space, resolutions).map((part) => ({ key: partKey(part), payload: { part }, build: () => exportPart({ space, part, weights }) }));
  // Parts run in 0.02-2 ms: shorter windows, more runs.
  settings = MeasurementSettings.parse({ warmupRuns: 10, warmupMinMs: 150, runs: 50, minTimedMs: 300, maxRemeasures: 0 });
} else throw new Error('--what must be subnets or parts');

const passes = Number(values.passes);
const started = Date.now();
let measured = 0;
for (let pass = 0; pass < passes; pass++) {
  const order = createRng(`${values.seed}/order/${pass}`).shuffle(items);
  for (const item of order) {
    if (done.has(`${pass}/${item.key}`)) continue;
    const model = item.build();
    const session = await openSession(device, model.bytes, model.inputShape);
    const stats = await timeSession(session, settings);
    await session.release();
    appendFileSync(out, `${JSON.stringify({ device, space: space.name, pass, key: item.key, ...item.payload, stats, at: Date.now() })}\n`);
    measured++;
    if (measured % 20 === 0) {
      const rate = (Date.now() - started) / measured / 1000;
      process.stderr.write(`${device} ${values.what} pass ${pass}: ${measured} measured, ${rate.toFixed(2)} s each\n`);
    }
  }
}
process.stderr.write(`done: ${measured} new measurements in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
