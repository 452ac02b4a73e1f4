/** Path and query-string values: strings on the wire, checked and converted here. */
import { z } from 'zod';
import { ValidationError } from '../../../core/errors';

export function idParam(value: string, what: string): number {
  if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) throw new ValidationError(`${what} must be a positive integer, got "${value.slice(0, 40)}"`);
  return Number(value);
}

/** A decimal integer in a query string, within bounds. */
export function intString(min: number, max: number) {
  return z
    .string()
    .regex(/^-?\d{1,16}$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

export const flagString = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
