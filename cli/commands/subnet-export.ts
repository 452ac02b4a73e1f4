/** `ofa-farm subnet export`: one subnet of a space to an ONNX file, with seeded random or checkpoint weights. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseSubnetConfigJson } from '../../core/config';
import { ValidationError } from '../../core/errors';
import { subnetId } from '../../core/subnet-id';
import { checkpointWeights, readCheckpoint } from '../../models/checkpoint';
import { exportSubnet } from '../../models/export';
import { randomSupernetWeights } from '../../models/random-weights';
import type { SupernetWeights } from '../../models/supernet-tensors';
import { commandGroup, type CliContext } from '../main';
import { parseInteger, parseSpace } from '../options';
import { writeJsonLine } from '../output';

interface ExportOpts {
  space: string;
  config: string;
  out: string;
  seed?: string;
  checkpoint?: string;
  json?: boolean;
}

export function registerSubnetExportCommand(program: Command, ctx: CliContext): void {
  commandGroup(program, 'subnet', 'Sample subnets, count their cost, export them to ONNX')
    .command('export')
    .description('Export one subnet to ONNX (BN folded; input "input" [1, C, r, r], output "logits")')
    .requiredOption('--space <name>', 'search space')
    .requiredOption('--config <json>', 'subnet config JSON {"ks","e","d","r"}')
    .requiredOption('--out <file>', 'ONNX file to write')
    .option('--seed <n>', 'seeded random weights, the reference he_fout init (default 0)')
    .option('--checkpoint <file>', '.ofa checkpoint to take the weights from (same space)')
    .option('--json', 'print one JSON line {out, sha256, bytes, weightCount}')
    .action(async (opts: ExportOpts) => {
      const space = parseSpace(opts.space);
      const config = parseSubnetConfigJson(space, opts.config);
      if (opts.seed !== undefined && opts.checkpoint !== undefined) throw new ValidationError('--seed and --checkpoint are exclusive; give one of them');
      let weights: SupernetWeights;
      if (opts.checkpoint !== undefined) {
        const checkpoint = await readCheckpoint(opts.checkpoint);
        if (checkpoint.space !== space.name) throw new ValidationError(`--checkpoint ${opts.checkpoint} holds a ${checkpoint.space} supernet, not ${space.name}`);
        weights = checkpointWeights(checkpoint);
        const warning = calibrationMismatch(checkpoint.meta.bnCalibratedFor, subnetId(space, config), opts.checkpoint);
        if (warning) ctx.io.err.write(`ofa-farm: warning: ${warning}\n`);
      } else {
        weights = randomSupernetWeights(space, parseInteger(opts.seed ?? '0', '--seed', 0));
      }
      const result = exportSubnet({ space, config, weights });
      try {
        await writeFile(opts.out, result.bytes);
      } catch (error) {
        throw new ValidationError(`--out ${opts.out}: cannot write: ${(error as Error).message}`);
      }
      const summary = { out: opts.out, sha256: result.sha256, bytes: result.bytes.length, weightCount: result.weightCount };
      if (opts.json) writeJsonLine(ctx.io, summary);
      else ctx.io.out.write(`wrote ${opts.out}: ${(summary.bytes / 1e6).toFixed(1)} MB, ${summary.weightCount} weights, input [${result.inputShape.join(', ')}], sha256 ${summary.sha256}\n`);
    });
}

/**
 * A checkpoint from `supernet calibrate` holds BN statistics recalibrated for one subnet (§5.5);
 * another subnet exported from it runs on statistics measured for a different network, and its
 * accuracy is not what the farm's accuracy records say.
 */
function calibrationMismatch(calibratedFor: unknown, id: string, path: string): string | null {
  const target = (calibratedFor as { subnetId?: unknown } | undefined)?.subnetId;
  if (typeof target !== 'string' || target === id) return null;
  return (
    `${path} holds BN statistics recalibrated for subnet ${target}, not for ${id}: this export uses statistics measured ` +
    `for another network. Recalibrate for this config first (ofa-farm supernet calibrate --checkpoint <trained supernet> --config ...)`
  );
}
