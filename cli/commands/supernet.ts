/** `ofa-farm supernet import`: a reference OFA supernet saved by PyTorch (.pth) becomes a farm `.ofa` checkpoint. */
import type { Command } from 'commander';
import { importSupernetFile } from '../../models/pytorch/import-supernet';
import { commandGroup, type CliContext } from '../main';
import { parseSpace } from '../options';
import { writeJsonLine } from '../output';

interface ImportOpts {
  space: string;
  from: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function registerSupernetCommands(program: Command, ctx: CliContext): void {
  commandGroup(program, 'supernet', 'Bring supernets trained elsewhere (the reference PyTorch OFA) into the farm')
    .command('import')
    .description(
      'Read a PyTorch checkpoint of the reference OFA-MobileNetV3 supernet (torch.save zip or legacy format; the state dict at the top level ' +
        'or under "state_dict"; "module." prefixes and "mobile_inverted_conv" names accepted), check every tensor name and shape against ' +
        'the space, and write a .ofa checkpoint. Nothing is written when anything is missing, unexpected or mis-shaped.',
    )
    .requiredOption('--space <name>', 'search space of the supernet (ofa-mbv3-w1.0 or ofa-mbv3-w1.2 for the reference releases)')
    .requiredOption('--from <file.pth>', 'PyTorch checkpoint to read (no Python needed; nothing in it is executed)')
    .requiredOption('--out <file.ofa>', '.ofa checkpoint to write')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print one JSON line with the import report')
    .action(async (opts: ImportOpts) => {
      const space = parseSpace(opts.space);
      const report = await importSupernetFile({ from: opts.from, space: space.name, out: opts.out, force: opts.force === true });
      if (opts.json) {
        writeJsonLine(ctx.io, report);
        return;
      }
      const converted = Object.entries(report.converted).map(([dtype, n]) => `${n} ${dtype}`);
      const notes = [
        `${report.format} format`,
        `state dict at ${report.stateDict}`,
        report.renamed > 0 ? `${report.renamed} names mapped to the reference's current ones` : null,
        report.skipped > 0 ? `${report.skipped} num_batches_tracked skipped` : null,
        converted.length > 0 ? `converted to float32: ${converted.join(', ')}` : null,
      ].filter((n) => n !== null);
      ctx.io.out.write(
        `imported ${report.tensors} tensors (${report.values.toLocaleString('en-US')} values) of ${report.space} from ${opts.from} (${notes.join('; ')})\n` +
          `wrote ${report.out}: ${(report.bytesWritten / 1e6).toFixed(1)} MB; BN statistics are the supernet's stored ones: recalibrate per subnet before measuring accuracy\n`,
      );
    });
}
