/**
 * PyTorch <-> TensorFlow.js tensor layouts for the supernet's named tensors. Checkpoints hold the
 * reference state_dict layouts (conv OIHW, linear [out, in]); the trainer computes in NHWC with
 * conv filters HWIO, depthwise [k, k, C, 1] and 1x1 convs / linears as [in, out] matrices.
 */
export type LayoutKind = 'conv' | 'depthwise' | 'pointwise' | 'linear' | 'plain';

export interface TensorLayout {
  kind: LayoutKind;
  torchShape: readonly number[];
  tfShape: number[];
}

export function layoutOf(name: string, torchShape: readonly number[]): TensorLayout {
  if (torchShape.length === 4) {
    const [o, i, kh, kw] = torchShape;
    if (kh === 1 && kw === 1) return { kind: 'pointwise', torchShape, tfShape: [i, o] };
    if (i === 1 && name.includes('depth_conv')) return { kind: 'depthwise', torchShape, tfShape: [kh, kw, o, 1] };
    return { kind: 'conv', torchShape, tfShape: [kh, kw, i, o] };
  }
  if (torchShape.length === 2 && !name.endsWith('_matrix')) return { kind: 'linear', torchShape, tfShape: [torchShape[1], torchShape[0]] };
  return { kind: 'plain', torchShape, tfShape: [...torchShape] };
}

/** Reorders PyTorch-layout values into the TensorFlow.js layout. */
export function torchToTf(layout: TensorLayout, data: Float32Array): Float32Array {
  const s = layout.torchShape;
  switch (layout.kind) {
    case 'plain':
      return data.slice();
    case 'pointwise':
    case 'linear':
      return transpose2d(data, s[0], s[1]);
    case 'depthwise': {
      const [c, , kh, kw] = s;
      const out = new Float32Array(data.length);
      for (let ch = 0; ch < c; ch++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[(y * kw + x) * c + ch] = data[(ch * kh + y) * kw + x];
      return out;
    }
    case 'conv': {
      const [o, i, kh, kw] = s;
      const out = new Float32Array(data.length);
      for (let a = 0; a < o; a++)
        for (let b = 0; b < i; b++)
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = data[((a * i + b) * kh + y) * kw + x];
      return out;
    }
  }
}

/** Reorders TensorFlow.js-layout values back into the PyTorch layout. */
export function tfToTorch(layout: TensorLayout, data: Float32Array): Float32Array {
  const s = layout.torchShape;
  switch (layout.kind) {
    case 'plain':
      return data.slice();
    case 'pointwise':
    case 'linear':
      return transpose2d(data, s[1], s[0]);
    case 'depthwise': {
      const [c, , kh, kw] = s;
      const out = new Float32Array(data.length);
      for (let ch = 0; ch < c; ch++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[(ch * kh + y) * kw + x] = data[(y * kw + x) * c + ch];
      return out;
    }
    case 'conv': {
      const [o, i, kh, kw] = s;
      const out = new Float32Array(data.length);
      for (let a = 0; a < o; a++)
        for (let b = 0; b < i; b++)
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((a * i + b) * kh + y) * kw + x] = data[((y * kw + x) * i + b) * o + a];
      return out;
    }
  }
}

/** rows x cols row-major -> cols x rows row-major. */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
