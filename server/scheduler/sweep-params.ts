/**
 * The free-form `params` a sweep row keeps about how it was made, read back with defaults.
 * Stored as JSON so that later strategies can add their own keys without a migration.
 */
export interface SweepParams {
  /** Random-weight seed of the sweep's models (latency does not depend on the values). */
  weightsSeed: number;
  /** An anchor job is inserted first, after every this many subnets, and last; 0 = none. */
  anchorEvery: number;
  /** Subnet id of the anchor, when there is one. */
  anchorSubnetId: string | null;
  /** The file the configs of a `list` sweep came from, for the record. */
  configsFile: string | null;
}

export const DEFAULT_ANCHOR_EVERY = 10;

export function weightsSeedOf(params: Record<string, unknown>): number {
  const seed = params.weightsSeed;
  return typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0 ? seed : 0;
}

export function sweepParams(params: Record<string, unknown>): SweepParams {
  const every = params.anchorEvery;
  return {
    weightsSeed: weightsSeedOf(params),
    anchorEvery: typeof every === 'number' && Number.isInteger(every) && every >= 0 ? every : 0,
    anchorSubnetId: typeof params.anchorSubnetId === 'string' ? params.anchorSubnetId : null,
    configsFile: typeof params.configsFile === 'string' ? params.configsFile : null,
  };
}
