/**
 * Import of a full-size reference supernet (`ofa-mbv3-w1.0`, 7.7M values, ~31 MB) from a `.pth`
 * into a `.ofa`: read, unzip, unpickle, check every name and shape, convert, write. The file is
 * made on the fly with the farm's torch.save writer; when /usr/bin/python3 has torch, files that
 * PyTorch itself wrote (zip and legacy format) are timed too. Medians of a few runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPACES, type SpaceName } from '../core/space';
import { importSupernet, importSupernetFile } from '../models/pytorch/import-supernet';
import { loadTorchFile } from '../models/pytorch/torch-load';
import { torchSave, type SaveDict } from '../models/pytorch/torch-save';
import { materializeSupernet, randomSupernetWeights } from '../models/random-weights';
import { supernetTensors } from '../models/supernet-tensors';
import type { Benchmark } from './run';

const RUNS = 3;
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '..', 'test', 'fixtures', 'pytorch', 'make-fixtures.py');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function stateDict(space: SpaceName): SaveDict {
  const weights = materializeSupernet(randomSupernetWeights(SPACES[space], 0));
  const dict: SaveDict = {};
  for (const spec of supernetTensors(SPACES[space])) dict[`module.${spec.name}`] = { shape: spec.shape, data: weights.get(spec.name)! };
  return { state_dict: dict, epoch: 180 };
}

const bench: Benchmark = {
  name: 'PyTorch supernet import (.pth -> .ofa, full w1.0)',
  async run(ctx) {
    const dir = mkdtempSync(join(tmpdir(), 'ofa-bench-pth-'));
    try {
      const space: SpaceName = 'ofa-mbv3-w1.0';
      const files: [string, string][] = [];
      const made = join(dir, 'farm-writer.pth');
      writeFileSync(made, torchSave(stateDict(space)));
      files.push(['zip (farm writer)', made]);
      if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0) {
        for (const [label, flags] of [['zip (PyTorch)', []], ['legacy (PyTorch)', ['--legacy']]] as const) {
          const out = join(dir, label.startsWith('zip') ? 'torch-zip' : 'torch-legacy');
          execFileSync(PYTHON, [SCRIPT, 'supernet', out, '--space', space, '--wrap', '--subnets', '0', ...flags], { timeout: 300_000 });
          files.push([label, join(out, 'supernet.pth')]);
        }
      } else {
        ctx.print(`(no torch in ${PYTHON}: timing the farm writer's file only)`);
      }
      ctx.print('file                  MB   parse ms  import ms  file->.ofa ms   MB/s');
      for (const [label, path] of files) {
        const parse: number[] = [];
        const convert: number[] = [];
        const whole: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const bytes = new Uint8Array(readFileSync(path));
          let start = performance.now();
          loadTorchFile(bytes, path);
          parse.push(performance.now() - start);
          start = performance.now();
          importSupernet(bytes, space, path);
          convert.push(performance.now() - start);
          start = performance.now();
          await importSupernetFile({ from: path, space, out: join(dir, 'out.ofa'), force: true });
          whole.push(performance.now() - start);
        }
        const mb = statSync(path).size / 1e6;
        ctx.print(
          `${label.padEnd(18)} ${mb.toFixed(1).padStart(5)}  ${median(parse).toFixed(0).padStart(8)}  ${median(convert).toFixed(0).padStart(9)}  ${median(whole).toFixed(0).padStart(13)}  ${(mb / (median(whole) / 1000)).toFixed(0).padStart(5)}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
