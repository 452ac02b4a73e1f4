/** ONNX models, stored once by the sha256 of their bytes. */
import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text } from 'drizzle-orm/pg-core';
import { bytea, createdAt, oneOf } from './columns';
import { parts, subnets } from './subnets';

export const ARTIFACT_KINDS = ['subnet', 'part'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export const artifacts = pgTable(
  'artifacts',
  {
    sha256: text('sha256').primaryKey(),
    bytes: bytea('bytes').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    kind: text('kind', { enum: ARTIFACT_KINDS }).notNull(),
    space: text('space').notNull(),
    subnetId: text('subnet_id').references(() => subnets.id),
    partKey: text('part_key').references(() => parts.key),
    /** Where the weights came from, e.g. "seed:0" or "checkpoint:<sha256>"; same model, same key. */
    weights: text('weights').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('artifacts_subnet_idx').on(t.subnetId, t.weights),
    index('artifacts_part_idx').on(t.partKey, t.weights),
    check('artifacts_sha_ck', sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
    check('artifacts_size_ck', sql`${t.size} = octet_length(${t.bytes})`),
    check('artifacts_kind_ck', oneOf(t.kind, ARTIFACT_KINDS)),
    check(
      'artifacts_target_ck',
      sql`(${t.kind} = 'subnet' and ${t.subnetId} is not null and ${t.partKey} is null) or (${t.kind} = 'part' and ${t.partKey} is not null and ${t.subnetId} is null)`,
    ),
  ],
);

export type ArtifactRow = typeof artifacts.$inferSelect;
export type NewArtifactRow = typeof artifacts.$inferInsert;
/** Everything about an artifact except its bytes (listing without loading megabytes). */
export type ArtifactInfo = Omit<ArtifactRow, 'bytes'>;
