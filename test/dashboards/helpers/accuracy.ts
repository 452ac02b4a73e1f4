/**
 * A small accuracy predictor for a space, fitted on synthetic records (top-1 rising with MACs), so
 * that the dashboards can be shown an accuracy front and not only the MACs proxy. Test data only:
 * its checkpoint is named "synthetic-dashboards-test".
 */
import type { SubnetConfig } from '../../../core/config';
import { subnetCost } from '../../../core/cost';
import { createRng } from '../../../core/rng';
import { sampleConfig } from '../../../core/sample';
import { SPACES, type SpaceName } from '../../../core/space';
import type { Db } from '../../../db/client';
import { fitAndSaveAccuracyPredictor, importAccuracyRecords } from '../../../server/search/accuracy-store';

export async function seedAccuracyPredictor(db: Db, spaceName: SpaceName): Promise<void> {
  const space = SPACES[spaceName];
  const rng = createRng('dashboards-accuracy');
  const records = Array.from({ length: 60 }, () => {
    const config: SubnetConfig = sampleConfig(space, rng);
    return { config, top1: Math.min(0.95, 0.7 + Math.log(subnetCost(space, config).macs / 1e6) / 20) };
  });
  await importAccuracyRecords(db, { space: spaceName, checkpoint: 'synthetic-dashboards-test', source: 'import', records });
  await fitAndSaveAccuracyPredictor(db, { space: spaceName, fit: { hidden: [32, 32, 32], epochs: 10, batchSize: 16 } });
}
