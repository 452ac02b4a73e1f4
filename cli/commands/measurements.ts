/** `ofa-farm measurements`: stored measurements of a device as a table, CSV or JSON lines. */
import type { Command } from 'commander';
import { ValidationError } from '../../core/errors';
import { SPACE_NAMES } from '../../core/space';
import { clientFor, unwrap, withServerOptions, type FarmClient, type ServerOptions } from '../client';
import type { CliContext } from '../main';
import { parseChoice, parseInteger } from '../options';
import { formatTable, toCsv, writeJsonLine, type Cell } from '../output';

const FORMATS = ['table', 'csv', 'jsonl'] as const;

interface MeasurementsOptions extends ServerOptions {
  device?: string;
  space?: string;
  sweep?: string;
  format: string;
  limit: string;
  samples?: boolean;
  uncounted?: boolean;
  json?: boolean;
}

export type MeasurementQuery = Parameters<FarmClient['api']['measurements']['$get']>[0] extends infer A ? (A extends { query: infer Q } ? Q : never) : never;

/** Every page of a measurement query (keyset pagination), up to `max` rows. */
export async function fetchMeasurements(client: FarmClient, query: MeasurementQuery, max: number) {
  const rows = [];
  let after: string | undefined;
  for (let page = 0; page < 1000 && rows.length < max; page++) {
    const limit = Math.min(10_000, max - rows.length);
    const body = await unwrap(client.api.measurements.$get({ query: { ...query, after, limit: String(limit) } }));
    rows.push(...body.measurements);
    if (body.next === null) break;
    after = String(body.next);
  }
  return rows;
}

const fixed = (v: number | null | undefined, digits: number): Cell => (v === null || v === undefined ? null : Number(v.toFixed(digits)));

export function registerMeasurementsCommand(program: Command, ctx: CliContext): void {
  withServerOptions(
    program
      .command('measurements')
      .description('Measurements stored for a device (or a sweep): table, csv or jsonl')
      .option('--device <name>', 'device name')
      .option('--space <name>', `only this space: ${SPACE_NAMES.join(', ')}`)
      .option('--sweep <id>', 'only this sweep')
      .option('--format <f>', `${FORMATS.join(', ')}`, 'table')
      .option('--limit <n>', 'at most this many rows', '100000')
      .option('--samples', 'include raw timed samples (csv/jsonl)')
      .option('--uncounted', 'include late results kept as data but not counted')
      .option('--json', 'same as --format jsonl'),
  ).action(async (opts: MeasurementsOptions) => {
    const format = opts.json ? 'jsonl' : parseChoice(opts.format, '--format', FORMATS);
    if (!opts.device && !opts.sweep) throw new ValidationError('--device NAME (or --sweep ID) is required');
    const space = opts.space === undefined ? undefined : parseChoice(opts.space, '--space', SPACE_NAMES);
    const { client } = clientFor(opts);
    const rows = await fetchMeasurements(
      client,
      {
        device: opts.device,
        space,
        sweep: opts.sweep === undefined ? undefined : String(parseInteger(opts.sweep, '--sweep', 1)),
        samples: opts.samples ? '1' : undefined,
        uncounted: opts.uncounted ? '1' : undefined,
      },
      parseInteger(opts.limit, '--limit', 1, 10_000_000),
    );
    if (format === 'jsonl') return rows.forEach((r) => writeJsonLine(ctx.io, r));
    const headers = ['id', 'finished', 'sweep', 'space', 'subnet', 'r', 'MMACs', 'status', 'median ms', 'p90 ms', 'CV', 'runs', 'anchor', 'provider', 'threads'];
    const table = rows.map((m) => [
      m.id,
      m.finishedAt.replace(/\.\d+Z$/, 'Z'),
      m.sweepId,
      m.space,
      m.subnetId ?? m.partKey,
      m.r,
      fixed(m.macs === null ? null : m.macs / 1e6, 1),
      m.status,
      fixed(m.medianMs, 3),
      fixed(m.p90Ms, 3),
      fixed(m.cv, 4),
      m.runs,
      m.anchor ? 'yes' : '',
      m.provenance?.executionProvider ?? null,
      m.provenance?.threads ?? null,
    ]);
    if (format === 'csv') {
      const withErrors = rows.map((m, i) => [...table[i], m.error, opts.samples ? m.samplesMs.join(' ') : null]);
      return void ctx.io.out.write(toCsv([...headers, 'error', 'samples ms'], withErrors));
    }
    if (rows.length === 0) return void ctx.io.out.write('no measurements\n');
    ctx.io.out.write(formatTable(headers, table));
  });
}
