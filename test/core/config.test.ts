import { describe, expect, it } from 'vitest';
import { checkSubnetConfig, maxConfig, parseSubnetConfig, parseSubnetConfigJson } from '../../core/config';
import { ValidationError } from '../../core/errors';
import { SPACES } from '../../core/space';

const w10 = SPACES['ofa-mbv3-w1.0'];
const valid = () => maxConfig(w10, 224);

function messageOf(input: unknown): string {
  try {
    parseSubnetConfig(w10, input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('subnet config validation', () => {
  it('accepts a valid config and the image_size and r:[int] aliases', () => {
    expect(parseSubnetConfig(w10, valid()).r).toBe(224);
    const { r: _r, ...rest } = valid();
    expect(parseSubnetConfig(w10, { ...rest, image_size: 160 }).r).toBe(160);
    expect(parseSubnetConfig(w10, { ...rest, r: [192] }).r).toBe(192);
  });

  it('names the field, the index and the allowed values', () => {
    expect(messageOf({ ...valid(), ks: valid().ks.slice(0, 19) })).toContain('ks must have 20 entries, got 19');
    const ks = valid().ks;
    ks[4] = 4;
    expect(messageOf({ ...valid(), ks })).toContain('ks[4] = 4 is not allowed; allowed values: 3, 5, 7');
    expect(messageOf({ ...valid(), d: [4, 4, 5, 4, 4] })).toContain('d[2] = 5 is not allowed; allowed values: 2, 3, 4');
    expect(messageOf({ ...valid(), r: 130 })).toContain('r = 130 is not on the resolution grid of ofa-mbv3-w1.0: 128..224 step 4');
    expect(messageOf({ ...valid(), e: 'big' })).toContain('e must be a list of 20 integers, got "big"');
    expect(messageOf('a string')).toContain('must be a JSON object');
    expect(messageOf({ ...valid(), extra: 1 })).toContain('unknown field "extra"');
  });

  it('allows masked (0) entries only for inactive blocks', () => {
    const config = { ...valid(), d: [2, 4, 4, 4, 4] };
    config.ks = config.ks.map((k, i) => (i === 2 || i === 3 ? 0 : k));
    expect(checkSubnetConfig(w10, config)).toEqual([]);
    const active = { ...valid(), ks: valid().ks.map((k, i) => (i === 5 ? 0 : k)) };
    expect(messageOf(active)).toContain('ks[5] = 0 is not allowed');
  });

  it('reports JSON syntax errors as validation errors', () => {
    expect(() => parseSubnetConfigJson(w10, '{"ks":')).toThrow(/not valid JSON/);
  });

  it('validates against the resolution grid of each space', () => {
    expect(checkSubnetConfig(SPACES['ofa-mbv3-w1.2'], { ...valid(), r: 128 })[0].message).toContain('160..224 step 4');
  });
});
