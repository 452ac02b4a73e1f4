/** Option parsing shared by commands: every bad value is a ValidationError naming the option. */
import { ValidationError } from '../core/errors';
import { SPACE_NAMES, SPACES, isSpaceName, type SpaceDef } from '../core/space';

export function parseSpace(value: string | undefined, option = '--space'): SpaceDef {
  if (value === undefined) throw new ValidationError(`${option} is required; one of: ${SPACE_NAMES.join(', ')}`);
  if (!isSpaceName(value)) throw new ValidationError(`${option} "${value}" is not a known space; one of: ${SPACE_NAMES.join(', ')}`);
  return SPACES[value];
}

export function parseInteger(value: string | undefined, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) throw new ValidationError(`${option} is required`);
  if (!/^-?\d+$/.test(value.trim())) throw new ValidationError(`${option} must be an integer, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ValidationError(`${option} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseNumber(value: string | undefined, option: string, min: number, max = Number.MAX_VALUE): number {
  if (value === undefined) throw new ValidationError(`${option} is required`);
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new ValidationError(`${option} must be a number, got "${value}"`);
  if (n < min || n > max) throw new ValidationError(`${option} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseChoice<T extends string>(value: string | undefined, option: string, choices: readonly T[]): T {
  if (value === undefined || !(choices as readonly string[]).includes(value)) {
    throw new ValidationError(`${option} must be one of ${choices.join(', ')}, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  }
  return value as T;
}
