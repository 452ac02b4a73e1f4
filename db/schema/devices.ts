/**
 * Devices and the enrollment tokens that may register them. A device authenticates with a random
 * token of which only the sha256 is stored. Removing a device keeps its row (removed_at set) so
 * its measurements, sweeps and twins keep their references; the name becomes free again.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { AGENT_KINDS, type DeviceDescription } from '../../core/protocol';
import { createdAt, oneOf, tstz } from './columns';

export const DEVICE_STATUSES = ['online', 'busy', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export const enrollmentTokens = pgTable(
  'enrollment_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** sha256 hex of the token; the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull(),
    label: text('label').notNull().default(''),
    /** How many devices it may register; null = unlimited until expiry or revocation. */
    maxUses: integer('max_uses'),
    uses: integer('uses').notNull().default(0),
    expiresAt: tstz('expires_at'),
    revokedAt: tstz('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('enrollment_tokens_hash_uq').on(t.tokenHash),
    check('enrollment_tokens_uses_ck', sql`${t.uses} >= 0 and (${t.maxUses} is null or ${t.maxUses} >= 1)`),
  ],
);

export const devices = pgTable(
  'devices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    kind: text('kind', { enum: AGENT_KINDS }).notNull(),
    /** Host key given at registration; wins over the one the agent reports. */
    host: text('host'),
    /** Host key the agent reported in its hello. */
    reportedHost: text('reported_host'),
    /** The key same-host exclusion uses: devices sharing it never measure at the same time. */
    hostKey: text('host_key')
      .notNull()
      .generatedAlwaysAs(sql`coalesce(host, reported_host, 'device:' || id::text)`),
    /** sha256 hex of the device token. */
    tokenHash: text('token_hash').notNull(),
    status: text('status', { enum: DEVICE_STATUSES }).notNull().default('offline'),
    statusSince: tstz('status_since').notNull().defaultNow(),
    lastSeenAt: tstz('last_seen_at'),
    /** What the agent reported about itself (core/protocol.ts DeviceDescription). */
    description: jsonb('description').$type<DeviceDescription>(),
    agentVersion: text('agent_version'),
    enrolledWith: uuid('enrolled_with').references(() => enrollmentTokens.id),
    createdAt: createdAt(),
    removedAt: tstz('removed_at'),
  },
  (t) => [
    uniqueIndex('devices_name_live_uq').on(t.name).where(sql`${t.removedAt} is null`),
    uniqueIndex('devices_token_hash_uq').on(t.tokenHash),
    index('devices_host_key_idx').on(t.hostKey),
    check('devices_kind_ck', oneOf(t.kind, AGENT_KINDS)),
    check('devices_status_ck', oneOf(t.status, DEVICE_STATUSES)),
    check('devices_name_ck', sql`length(${t.name}) between 1 and 100`),
    check('devices_token_hash_ck', sql`${t.tokenHash} ~ '^[0-9a-f]{64}$'`),
  ],
);

export type DeviceRow = typeof devices.$inferSelect;
export type NewDeviceRow = typeof devices.$inferInsert;
export type EnrollmentTokenRow = typeof enrollmentTokens.$inferSelect;
export type NewEnrollmentTokenRow = typeof enrollmentTokens.$inferInsert;
