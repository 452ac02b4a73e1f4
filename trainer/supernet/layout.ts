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
  return permute(layout, data, 'torch-to-tf');
}

/** Reorders TensorFlow.js-layout values back into the PyTorch layout. */
export function tfToTorch(layout: TensorLayout, data: Float32Array): Float32Array {
  return permute(layout, data, 'tf-to-torch');
}

/** Walks every element once, with its PyTorch and its TensorFlow.js flat index. */
function permute(layout: TensorLayout, data: Float32Array, direction: 'torch-to-tf' | 'tf-to-torch'): Float32Array {
  const s = layout.torchShape;
  if (layout.kind === 'plain') return data.slice();
  if (layout.kind === 'pointwise' || layout.kind === 'linear') {
    return direction === 'torch-to-tf' ? transpose2d(data, s[0], s[1]) : transpose2d(data, s[1], s[0]);
  }
  const out = new Float32Array(data.length);
  const move = direction === 'torch-to-tf' ? (torch: number, tf: number) => (out[tf] = data[torch]) : (torch: number, tf: number) => (out[torch] = data[tf]);
  if (layout.kind === 'depthwise') {
    const [c, , kh, kw] = s;
    for (let ch = 0; ch < c; ch++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) move((ch * kh + y) * kw + x, (y * kw + x) * c + ch);
    return out;
  }
  const [o, i, kh, kw] = s;
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) move(((a * i + b) * kh + y) * kw + x, ((y * kw + x) * i + b) * o + a);
  return out;
}

/** rows x cols row-major -> cols x rows row-major. */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
