/** The farm database: open it, its schema, and every query (grouped per aggregate). */
export * from './client';
export * from './errors';
export * from './migrate';
export * from './secrets';
export * from './schema/index';
export * from './queries/artifacts';
export * from './queries/devices';
export * from './queries/enrollment';
export * from './queries/measurements';
export * from './queries/queue';
export * from './queries/results';
export * from './queries/subnets';
export * from './queries/sweep-control';
export * from './queries/sweeps';
export { LEASE_CAP, type SettledJob, type SettleOutcome } from './queries/job-settle';
