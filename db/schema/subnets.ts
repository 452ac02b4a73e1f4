/**
 * What gets measured: subnets of a space (id from core/subnet-id.ts, canonical config) and parts
 * (single blocks, stem, head) that the `blocks` sweep strategy measures for lookup-table twins.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import type { SubnetConfig } from '../../core/config';
import { createdAt } from './columns';

export const subnets = pgTable(
  'subnets',
  {
    /** core/subnet-id.ts subnetId(space, config): the space name is part of the hash. */
    id: text('id').primaryKey(),
    space: text('space').notNull(),
    /** canonicalConfig(space, config): inactive blocks masked. */
    config: jsonb('config').$type<SubnetConfig>().notNull(),
    r: integer('r').notNull(),
    macs: bigint('macs', { mode: 'number' }).notNull(),
    params: bigint('params', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('subnets_space_idx').on(t.space, t.macs),
    check('subnets_cost_ck', sql`${t.macs} >= 0 and ${t.params} >= 0 and ${t.r} > 0`),
  ],
);

/** Kind-specific description of a part (block shape, kernel, stride...), defined by models/. */
export type PartSpec = Record<string, unknown>;

export const parts = pgTable(
  'parts',
  {
    /** Stable key of the part within its space, e.g. "block:k5-e4-c40-80-s2-se-hs@r224". */
    key: text('key').primaryKey(),
    space: text('space').notNull(),
    /** stem | block | head ... */
    kind: text('kind').notNull(),
    spec: jsonb('spec').$type<PartSpec>().notNull(),
    r: integer('r').notNull(),
    macs: bigint('macs', { mode: 'number' }).notNull(),
    params: bigint('params', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('parts_space_idx').on(t.space, t.kind)],
);

export type SubnetRow = typeof subnets.$inferSelect;
export type NewSubnetRow = typeof subnets.$inferInsert;
export type PartRow = typeof parts.$inferSelect;
export type NewPartRow = typeof parts.$inferInsert;
