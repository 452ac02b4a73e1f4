/**
 * Subnet configs: `{"ks":[20 ints],"e":[20 ints],"d":[5 ints],"r":int}` as in the reference
 * (`image_size` and the tutorial's one-element `r: [int]` are accepted as aliases of `r`).
 * Validation names the field, the index and the allowed values.
 */
import { ValidationError } from './errors';
import { describeResolutions, elasticBlockCount, maxDepth, type SpaceDef } from './space';

export interface SubnetConfig {
  ks: number[];
  e: number[];
  d: number[];
  r: number;
}

export interface ConfigIssue {
  path: string;
  message: string;
}

const ALLOWED_KEYS = new Set(['ks', 'e', 'd', 'r', 'image_size', 'wid']);

function list(values: readonly number[]): string {
  return values.join(', ');
}

function isActive(space: SpaceDef, d: readonly unknown[], blockIndex: number): boolean {
  const depth = d[Math.floor(blockIndex / maxDepth(space))];
  return typeof depth === 'number' ? blockIndex % maxDepth(space) < depth : true;
}

function checkIntList(
  issues: ConfigIssue[],
  field: string,
  value: unknown,
  length: number,
  allowed: readonly number[],
  maskedAllowed: (index: number) => boolean,
): void {
  if (!Array.isArray(value)) {
    issues.push({ path: field, message: `${field} must be a list of ${length} integers, got ${describe(value)}` });
    return;
  }
  if (value.length !== length) {
    issues.push({ path: field, message: `${field} must have ${length} entries, got ${value.length}` });
    return;
  }
  value.forEach((item, index) => {
    const ok = typeof item === 'number' && (allowed.includes(item) || (item === 0 && maskedAllowed(index)));
    if (!ok) {
      issues.push({
        path: `${field}[${index}]`,
        message: `${field}[${index}] = ${describe(item)} is not allowed; allowed values: ${list(allowed)}`,
      });
    }
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}

/** All problems with a candidate config, empty when it is valid for the space. */
export function checkSubnetConfig(space: SpaceDef, input: unknown): ConfigIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [{ path: '', message: `a subnet config must be a JSON object {"ks","e","d","r"}, got ${describe(input)}` }];
  }
  const raw = input as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(raw)) {
    if (!ALLOWED_KEYS.has(key)) issues.push({ path: key, message: `unknown field "${key}"; a subnet config has ks, e, d and r` });
  }
  if (raw.wid !== undefined && raw.wid !== null) issues.push({ path: 'wid', message: 'wid must be null: OFA-MobileNetV3 has no elastic width multiplier' });
  const blocks = elasticBlockCount(space);
  const d = raw.d;
  checkIntList(issues, 'd', d, space.stages.length, space.depthChoices, () => false);
  const depthList = Array.isArray(d) ? d : [];
  const masked = (index: number) => !isActive(space, depthList, index);
  checkIntList(issues, 'ks', raw.ks, blocks, space.kernelChoices, masked);
  checkIntList(issues, 'e', raw.e, blocks, space.expandChoices, masked);

  if (raw.r !== undefined && raw.image_size !== undefined && JSON.stringify(raw.r) !== JSON.stringify(raw.image_size)) {
    issues.push({ path: 'r', message: 'r and image_size are aliases and disagree; give one of them' });
  }
  let r = raw.r ?? raw.image_size;
  const rField = raw.r !== undefined ? 'r' : 'image_size';
  if (Array.isArray(r) && r.length === 1) r = r[0];
  if (r === undefined) {
    issues.push({ path: 'r', message: `r (the input resolution) is missing; allowed: ${describeResolutions(space)}` });
  } else if (typeof r !== 'number' || !space.resolutions.includes(r)) {
    issues.push({
      path: rField,
      message: `${rField} = ${describe(r)} is not on the resolution grid of ${space.name}: ${describeResolutions(space)}`,
    });
  }
  return issues;
}

/** Parses and validates a config for a space; throws a ValidationError naming every problem. */
export function parseSubnetConfig(space: SpaceDef, input: unknown): SubnetConfig {
  const issues = checkSubnetConfig(space, input);
  if (issues.length > 0) {
    throw new ValidationError(`invalid subnet config for ${space.name}: ${issues.map((i) => i.message).join('; ')}`);
  }
  const raw = input as Record<string, unknown>;
  const rawR = raw.r ?? raw.image_size;
  return {
    ks: (raw.ks as number[]).slice(),
    e: (raw.e as number[]).slice(),
    d: (raw.d as number[]).slice(),
    r: Array.isArray(rawR) ? (rawR[0] as number) : (rawR as number),
  };
}

/** Parses JSON text into a validated config; a syntax error is a ValidationError too. */
export function parseSubnetConfigJson(space: SpaceDef, text: string): SubnetConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`config is not valid JSON: ${(error as Error).message}`);
  }
  return parseSubnetConfig(space, value);
}

/** The stage of elastic block i and its position within the stage. */
export function blockPosition(space: SpaceDef, index: number): { stage: number; position: number } {
  return { stage: Math.floor(index / maxDepth(space)), position: index % maxDepth(space) };
}

export function isBlockActive(space: SpaceDef, config: Pick<SubnetConfig, 'd'>, index: number): boolean {
  const { stage, position } = blockPosition(space, index);
  return position < config.d[stage];
}

/** The largest subnet of a space at a resolution (max resolution by default). */
export function maxConfig(space: SpaceDef, r = space.resolutions[space.resolutions.length - 1]): SubnetConfig {
  const n = elasticBlockCount(space);
  return {
    ks: Array(n).fill(Math.max(...space.kernelChoices)),
    e: Array(n).fill(Math.max(...space.expandChoices)),
    d: Array(space.stages.length).fill(maxDepth(space)),
    r,
  };
}

/** The smallest subnet of a space at a resolution (min resolution by default). */
export function minConfig(space: SpaceDef, r = space.resolutions[0]): SubnetConfig {
  const n = elasticBlockCount(space);
  return {
    ks: Array(n).fill(Math.min(...space.kernelChoices)),
    e: Array(n).fill(Math.min(...space.expandChoices)),
    d: Array(space.stages.length).fill(Math.min(...space.depthChoices)),
    r,
  };
}

/** A config with every block set alike: uniformConfig(space, {k: 3, e: 3, d: 4, r: 224}). */
export function uniformConfig(space: SpaceDef, c: { k: number; e: number; d: number; r: number }): SubnetConfig {
  const n = elasticBlockCount(space);
  return { ks: Array(n).fill(c.k), e: Array(n).fill(c.e), d: Array(space.stages.length).fill(c.d), r: c.r };
}
