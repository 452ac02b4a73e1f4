/**
 * The two dense kernels the pure-TypeScript MLP needs, on row-major Float32Arrays. Register
 * blocking (2 rows x 4 columns per inner loop) lets V8 keep eight sums in registers; measured here
 * it runs about 3x faster than the naive triple loop, which matters because the evolutionary
 * search calls the accuracy predictor on 100 subnets 500 times per budget.
 */

/** C[n, m] = A[n, k] · B[m, k]ᵀ (B laid out like a PyTorch Linear weight: one row per output). */
export function matmulABt(a: Float32Array, b: Float32Array, n: number, k: number, m: number, c: Float32Array = new Float32Array(n * m)): Float32Array {
  const n2 = n - (n % 2);
  const m4 = m - (m % 4);
  for (let i = 0; i < n2; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    const c0 = i * m;
    const c1 = c0 + m;
    for (let j = 0; j < m4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p];
        const x1 = a[a1 + p];
        const y0 = b[b0 + p];
        const y1 = b[b1 + p];
        const y2 = b[b2 + p];
        const y3 = b[b3 + p];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
      }
      c[c0 + j] = s00; c[c0 + j + 1] = s01; c[c0 + j + 2] = s02; c[c0 + j + 3] = s03;
      c[c1 + j] = s10; c[c1 + j + 1] = s11; c[c1 + j + 2] = s12; c[c1 + j + 3] = s13;
    }
    for (let j = m4; j < m; j++) {
      const b0 = j * k;
      let s0 = 0, s1 = 0;
      for (let p = 0; p < k; p++) {
        s0 += a[a0 + p] * b[b0 + p];
        s1 += a[a1 + p] * b[b0 + p];
      }
      c[c0 + j] = s0;
      c[c1 + j] = s1;
    }
  }
  for (let i = n2; i < n; i++) {
    const a0 = i * k;
    for (let j = 0; j < m; j++) {
      const b0 = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[a0 + p] * b[b0 + p];
      c[i * m + j] = s;
    }
  }
  return c;
}

/** Row-major transpose: out[cols, rows] of a[rows, cols]. */
export function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array = new Float32Array(rows * cols)): Float32Array {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = a[row + j];
  }
  return out;
}

/**
 * C[n, m] = A[n, k] · W[m, k]ᵀ for a sparse A (one-hot encodings: a few ones per row), using the
 * transposed weight wt[k, m]: only the non-zero inputs touch memory.
 */
export function sparseMatmulABt(a: Float32Array, wt: Float32Array, n: number, k: number, m: number, c: Float32Array = new Float32Array(n * m)): Float32Array {
  c.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    const out = i * m;
    for (let p = 0; p < k; p++) {
      const x = a[row + p];
      if (x === 0) continue;
      const w = p * m;
      for (let j = 0; j < m; j++) c[out + j] += x * wt[w + j];
    }
  }
  return c;
}
