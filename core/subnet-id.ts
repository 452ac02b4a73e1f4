/**
 * Canonical form and stable id of a subnet. Entries of inactive blocks (block j of stage s with
 * j >= d[s]) are masked to 0, so two configs that build the same network share one id.
 *
 * @example subnetId(space, cfg) // "w10-3f9c2a7e5b1d0c44" style: 16 hex digits
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { isBlockActive, type SubnetConfig } from './config';
import type { SpaceDef } from './space';

export function canonicalConfig(space: SpaceDef, config: SubnetConfig): SubnetConfig {
  return {
    ks: config.ks.map((k, i) => (isBlockActive(space, config, i) ? k : 0)),
    e: config.e.map((e, i) => (isBlockActive(space, config, i) ? e : 0)),
    d: config.d.slice(),
    r: config.r,
  };
}

/** Canonical JSON text, keys in fixed order. */
export function canonicalJson(space: SpaceDef, config: SubnetConfig): string {
  const c = canonicalConfig(space, config);
  return JSON.stringify({ ks: c.ks, e: c.e, d: c.d, r: c.r });
}

/** sha256 of hex text in core (no node:crypto here: core also runs in browsers). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return bytesToHex(sha256(typeof bytes === 'string' ? utf8ToBytes(bytes) : bytes));
}

/** Stable id of the network a config builds in a space: 16 hex digits. */
export function subnetId(space: SpaceDef, config: SubnetConfig): string {
  return sha256Hex(`${space.name}\n${canonicalJson(space, config)}`).slice(0, 16);
}
