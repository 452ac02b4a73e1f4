/**
 * Subnets and parts. Subnet rows are derived here from (space, config) with core's canonical form,
 * id and cost, so a stored id always matches its config.
 */
import { eq, inArray } from 'drizzle-orm';
import { parseSubnetConfig, type SubnetConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { ValidationError } from '../../core/errors';
import type { SpaceDef } from '../../core/space';
import { canonicalConfig, subnetId } from '../../core/subnet-id';
import type { Db } from '../client';
import { withDbErrors } from '../errors';
import { parts, subnets, type NewPartRow, type NewSubnetRow, type PartRow, type SubnetRow } from '../schema/subnets';

const CHUNK = 500;
const MAX_ROWS = 100_000;

/** The row a config of a space is stored as (validates the config; throws ValidationError). */
export function subnetRow(space: SpaceDef, config: SubnetConfig): NewSubnetRow {
  const parsed = parseSubnetConfig(space, config);
  const cost = subnetCost(space, parsed);
  return { id: subnetId(space, parsed), space: space.name, config: canonicalConfig(space, parsed), r: parsed.r, macs: cost.macs, params: cost.params };
}

/** Stores configs of a space (existing ids are kept as they are); returns their rows in input order. */
export async function upsertSubnets(db: Db, space: SpaceDef, configs: readonly SubnetConfig[]): Promise<SubnetRow[]> {
  if (configs.length > MAX_ROWS) throw new ValidationError(`at most ${MAX_ROWS} subnets at once, got ${configs.length}`);
  const rows = configs.map((config, i) => {
    try {
      return subnetRow(space, config);
    } catch (error) {
      if (error instanceof ValidationError && configs.length > 1) throw new ValidationError(`config ${i + 1}: ${error.message}`);
      throw error;
    }
  });
  const unique = [...new Map(rows.map((r) => [r.id, r])).values()];
  await withDbErrors('subnet', async () => {
    for (let i = 0; i < unique.length; i += CHUNK) {
      await db.insert(subnets).values(unique.slice(i, i + CHUNK)).onConflictDoNothing({ target: subnets.id });
    }
  });
  const stored = await getSubnets(db, unique.map((r) => r.id));
  const byId = new Map(stored.map((r) => [r.id, r]));
  return rows.map((r) => byId.get(r.id)!);
}

export async function getSubnet(db: Db, id: string): Promise<SubnetRow | null> {
  const [row] = await db.select().from(subnets).where(eq(subnets.id, id));
  return row ?? null;
}

/** Rows for these ids (missing ids are left out); order not guaranteed. */
export async function getSubnets(db: Db, ids: readonly string[]): Promise<SubnetRow[]> {
  const out: SubnetRow[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    out.push(...(await db.select().from(subnets).where(inArray(subnets.id, ids.slice(i, i + CHUNK) as string[]))));
  }
  return out;
}

/** Stores parts (existing keys are kept); the part's spec, cost and key come from models/. */
export async function upsertParts(db: Db, rows: readonly NewPartRow[]): Promise<PartRow[]> {
  if (rows.length > MAX_ROWS) throw new ValidationError(`at most ${MAX_ROWS} parts at once, got ${rows.length}`);
  for (const [i, row] of rows.entries()) {
    if (!row.key || row.key.length > 500) throw new ValidationError(`part ${i + 1}: key must be 1-500 characters`);
  }
  const unique = [...new Map(rows.map((r) => [r.key, r])).values()];
  await withDbErrors('part', async () => {
    for (let i = 0; i < unique.length; i += CHUNK) {
      await db.insert(parts).values(unique.slice(i, i + CHUNK)).onConflictDoNothing({ target: parts.key });
    }
  });
  const out: PartRow[] = [];
  for (let i = 0; i < unique.length; i += CHUNK) {
    out.push(...(await db.select().from(parts).where(inArray(parts.key, unique.slice(i, i + CHUNK).map((r) => r.key)))));
  }
  const byKey = new Map(out.map((r) => [r.key, r]));
  return rows.map((r) => byKey.get(r.key)!);
}

export async function getPart(db: Db, key: string): Promise<PartRow | null> {
  const [row] = await db.select().from(parts).where(eq(parts.key, key));
  return row ?? null;
}
