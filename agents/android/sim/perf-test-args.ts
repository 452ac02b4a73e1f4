/**
 * Command line of the stand-in onnxruntime_perf_test: the real tool's options (getopt style
 * `-x 4` / `-x4`, and the Abseil style `--x=4` of 2025 builds). Options the simulator cannot
 * honour are accepted and ignored, as long as the real tool has them.
 */

export interface PerfTestArgs {
  mode: 'duration' | 'times';
  repeats: number;
  durationS: number;
  provider: string;
  intraThreads: number;
  interThreads: number;
  optLevel: number;
  generateInputs: boolean;
  seed: number;
  verbose: boolean;
  stats: boolean;
  exitAfterSession: boolean;
  freeDims: Map<string, number>;
  concurrency: number;
  modelPath: string;
  resultFile: string | null;
}

const WITH_VALUE = new Set(['m', 'r', 't', 'e', 'x', 'y', 'o', 'p', 'c', 'S', 'f', 'F', 'i', 'C', 'u', 'd', 'T', 'l', 'R', 'a', 'b', 'q', 'z', 'g', 'j', 'k', 'N', 'W']);
const FLAGS = new Set(['I', 's', 'v', 'n', 'h', 'M', 'A', 'D', 'Z', 'P', 'G', 'U', 'H', 'E', 'X']);

export class PerfArgsError extends Error {}

function intValue(name: string, value: string, min: number): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min) throw new PerfArgsError(`invalid value '${value}' for -${name}`);
  return Number(value);
}

export function parsePerfTestArgs(argv: string[]): PerfTestArgs | 'help' {
  const a: PerfTestArgs = {
    mode: 'duration',
    repeats: 1000,
    durationS: 600,
    provider: 'cpu',
    intraThreads: 0,
    interThreads: 0,
    optLevel: 99,
    generateInputs: false,
    seed: -1,
    verbose: false,
    stats: false,
    exitAfterSession: false,
    freeDims: new Map(),
    concurrency: 1,
    modelPath: '',
    resultFile: null,
  };
  const positional: string[] = [];
  const set = (name: string, value: string) => {
    switch (name) {
      case 'm':
        if (value !== 'duration' && value !== 'times') throw new PerfArgsError(`invalid test mode '${value}'`);
        a.mode = value;
        break;
      case 'r':
        a.repeats = intValue(name, value, 1);
        a.mode = 'times';
        break;
      case 't':
        a.durationS = intValue(name, value, 1);
        a.mode = 'duration';
        break;
      case 'e':
        a.provider = value.toLowerCase();
        break;
      case 'x':
        a.intraThreads = intValue(name, value, 0);
        break;
      case 'y':
        a.interThreads = intValue(name, value, 0);
        break;
      case 'o':
        a.optLevel = intValue(name, value, 0);
        break;
      case 'S':
        a.seed = intValue(name, value, -1);
        break;
      case 'c':
        a.concurrency = intValue(name, value, 1);
        break;
      case 'f':
      case 'F':
        for (const pair of value.split(/\s+/).filter(Boolean)) {
          const [dim, size] = pair.split(':');
          if (!dim || !/^\d+$/.test(size ?? '')) throw new PerfArgsError(`invalid free dimension override '${pair}'`);
          a.freeDims.set(dim, Number(size));
        }
        break;
      default:
        break;
    }
  };
  const flag = (name: string) => {
    if (name === 'I') a.generateInputs = true;
    else if (name === 's') a.stats = true;
    else if (name === 'v') a.verbose = true;
    else if (name === 'n') a.exitAfterSession = true;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const long = /^--([A-Za-z])(?:=(.*))?$/.exec(arg);
    const short = /^-([A-Za-z])(.*)$/.exec(arg);
    const m = long ?? short;
    if (!m || arg === '-') {
      positional.push(arg);
      continue;
    }
    const name = m[1];
    if (FLAGS.has(name)) {
      if (m[2]) throw new PerfArgsError(`option -${name} takes no value`);
      flag(name);
    } else if (WITH_VALUE.has(name)) {
      let value = m[2];
      if (value === undefined || value === '') {
        value = argv[++i];
        if (value === undefined) throw new PerfArgsError(`option -${name} requires a value`);
      }
      set(name, value);
    } else {
      throw new PerfArgsError(`unknown option -${name}`);
    }
  }
  if (positional.length < 1 || positional.length > 2) throw new PerfArgsError('expected: [options] model_path [result_file]');
  a.modelPath = positional[0];
  a.resultFile = positional[1] ?? null;
  if (a.resultFile === null) a.stats = true;
  return a;
}
