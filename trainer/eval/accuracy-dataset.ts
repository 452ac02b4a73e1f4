/**
 * The accuracy dataset (§6, `build_acc_dataset`): unique subnets sampled uniformly (ks, e, d in
 * the reference order, then a resolution from the space's grid), each recalibrated and evaluated
 * on the held-out split. Records feed the accuracy predictor.
 */
import type { SubnetConfig } from '../../core/config';
import { createRng } from '../../core/rng';
import { sampleConfig } from '../../core/sample';
import { subnetId } from '../../core/subnet-id';
import type { SpaceDef } from '../../core/space';

/** `count` configs with distinct subnet ids (bounded redraws), seeded. */
export function sampleUniqueConfigs(space: SpaceDef, count: number, seed: number, exclude: ReadonlySet<string> = new Set()): SubnetConfig[] {
  const rng = createRng(`${seed}/accuracy-dataset`);
  const seen = new Set(exclude);
  const out: SubnetConfig[] = [];
  const maxDraws = count * 20 + 100;
  for (let draw = 0; draw < maxDraws && out.length < count; draw++) {
    const config = sampleConfig(space, rng);
    const id = subnetId(space, config);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(config);
  }
  if (out.length < count) throw new Error(`only ${out.length} distinct subnets found in ${maxDraws} draws (asked for ${count})`);
  return out;
}
