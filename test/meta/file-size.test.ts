import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from './source-files';

const LIMIT = 400;

describe('file sizes', () => {
  it(`keeps every source file under ${LIMIT} lines`, () => {
    const tooLong = sourceFiles()
      .map((file) => ({ file, lines: readSource(file).split('\n').length }))
      .filter(({ lines }) => lines > LIMIT)
      .map(({ file, lines }) => `${file} (${lines} lines)`);
    expect(tooLong, 'split these files by concept').toEqual([]);
  });
});
