/**
 * Fashion-MNIST from the standard gzipped IDX files (28x28 grey images, 10 classes): 60,000
 * training and 10,000 test images. Debian's `dataset-fashion-mnist` installs them under
 * /usr/share/datasets/fashion-mnist/; any directory with the four files works (`--data DIR`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ValidationError } from '../../core/errors';

export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Images as bytes, row-major [count, 28, 28]; labels 0..9. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  size: number;
}

export interface FashionMnist {
  train: ImageSet;
  test: ImageSet;
  dir: string;
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

function missingMessage(dir: string, file: string): string {
  return (
    `Fashion-MNIST file ${file}(.gz) not found in ${dir}. Install it with ` +
    '`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu; files land in ' +
    `${DEFAULT_FASHION_MNIST_DIR}), or download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, ` +
    't10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist ' +
    'into a directory and pass it with --data DIR'
  );
}

function readIdx(dir: string, base: string): Uint8Array {
  const gz = join(dir, `${base}.gz`);
  const raw = join(dir, base);
  if (existsSync(gz)) return gunzipSync(readFileSync(gz));
  if (existsSync(raw)) return new Uint8Array(readFileSync(raw));
  throw new ValidationError(missingMessage(dir, base));
}

/** Parses an IDX file (big-endian header: magic 0x00000801 labels, 0x00000803 images). */
export function parseIdx(bytes: Uint8Array, label: string): { dims: number[]; data: Uint8Array } {
  if (bytes.length < 8) throw new ValidationError(`${label}: not an IDX file (too short)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = (magic >> 8) & 0xff;
  const rank = magic & 0xff;
  if (magic >> 16 !== 0 || type !== 0x08 || rank < 1 || rank > 3) throw new ValidationError(`${label}: not an unsigned-byte IDX file (magic 0x${magic.toString(16)})`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * rank;
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length < start + count) throw new ValidationError(`${label}: truncated: ${bytes.length - start} data bytes, expected ${count}`);
  return { dims, data: bytes.subarray(start, start + count) };
}

function loadSet(dir: string, imagesFile: string, labelsFile: string): ImageSet {
  const images = parseIdx(readIdx(dir, imagesFile), imagesFile);
  const labels = parseIdx(readIdx(dir, labelsFile), labelsFile);
  if (images.dims.length !== 3 || images.dims[1] !== images.dims[2]) throw new ValidationError(`${imagesFile}: expected [count, size, size] images, got [${images.dims.join(', ')}]`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) throw new ValidationError(`${labelsFile}: ${labels.dims[0]} labels for ${images.dims[0]} images`);
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new ValidationError(`${labelsFile}: label ${labels.data[bad]} at index ${bad} is not a class 0..9`);
  return { images: images.data, labels: labels.data, count: images.dims[0], size: images.dims[1] };
}

export function loadFashionMnist(dir = DEFAULT_FASHION_MNIST_DIR): FashionMnist {
  if (!existsSync(dir)) throw new ValidationError(missingMessage(dir, FILES.trainImages));
  return {
    dir,
    train: loadSet(dir, FILES.trainImages, FILES.trainLabels),
    test: loadSet(dir, FILES.testImages, FILES.testLabels),
  };
}
