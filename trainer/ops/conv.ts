/**
 * Convolutions with gradients built only from kernels the WASM backend has (it lacks
 * Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter and ...BackpropInput). Layout NHWC,
 * filters HWIO ([k, k, cin, cout]; depthwise [k, k, C, 1]); padding is always the reference's
 * symmetric k//2 (PyTorch `padding=k//2`), never TensorFlow's asymmetric 'same'.
 *
 * - conv filter gradient: dW[kh,kw,ci,co] = sum_{n,oh,ow} xpad[n, oh*s+kh, ow*s+kw, ci] dy[n,oh,ow,co],
 *   i.e. a stride-1 conv of xpad (batch and channel axes swapped) with dy as the filter, dilation s.
 * - depthwise filter gradient: the same with (n, c) folded into the channel axis of one depthwise
 *   conv, then summed over n.
 * - depthwise input gradient: zero-insert dy by the stride, pad it, and correlate with the
 *   spatially reversed kernel.
 * - 1x1 convs are matrix products (their gradients are matrix products too).
 */
import * as tf from '@tensorflow/tfjs';

function padAmount(k: number): number {
  return Math.floor(k / 2);
}

/** Output size of a conv with symmetric padding k//2. */
export function convOut(size: number, k: number, stride: number): number {
  return Math.floor((size + 2 * padAmount(k) - k) / stride) + 1;
}

function padSpatial(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return x;
  return tf.pad(x, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
}

/** Filter gradient of a (dense) conv, as a conv with dilation = stride. */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, stride: number): tf.Tensor4D {
  const p = padAmount(k);
  const xp = padSpatial(x, p, p, p, p);
  const a = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [Ci, Hp, Wp, N]
  const b = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, N, Co]
  let g = tf.conv2d(a, b, 1, 'valid', 'NHWC', stride); // [Ci, >=k, >=k, Co]
  if (g.shape[1] !== k || g.shape[2] !== k) g = tf.slice(g, [0, 0, 0, 0], [-1, k, k, -1]);
  return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D;
}

/**
 * Dense k x k conv, stride s, padding k//2, with a WASM-friendly filter gradient. `inputGrad:
 * false` skips the input gradient (the stem's input is the image).
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, inputGrad = true): tf.Tensor4D {
  const k = w.shape[0];
  const f = tf.customGrad<tf.Tensor4D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, stride, padAmount(k)),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dx = inputGrad ? tf.conv2dTranspose(dy, ws, xs.shape, stride, padAmount(k)) : tf.zerosLike(xs);
        return [dx, conv2dFilterGrad(xs, dy, k, stride)];
      },
    };
  });
  return f(x, w);
}

/** Filter gradient of a depthwise conv: one depthwise conv over (n, c) channels, summed over n. */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, stride: number): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const p = padAmount(k);
  const xp = padSpatial(x, p, p, p, p);
  const hp = xp.shape[1];
  const wp = xp.shape[2];
  const [, oh, ow] = dy.shape;
  const a = tf.reshape(tf.transpose(xp, [1, 2, 0, 3]), [1, hp, wp, n * c]) as tf.Tensor4D;
  const b = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [oh, ow, n * c, 1]) as tf.Tensor4D;
  let g = tf.depthwiseConv2d(a, b, 1, 'valid', 'NHWC', stride); // [1, >=k, >=k, n*c]
  if (g.shape[1] !== k || g.shape[2] !== k) g = tf.slice(g, [0, 0, 0, 0], [-1, k, k, -1]);
  return tf.reshape(tf.sum(tf.reshape(g, [k, k, n, c]), 2), [k, k, c, 1]) as tf.Tensor4D;
}

/** Input gradient of a depthwise conv: correlate the zero-inserted, padded dy with the reversed kernel. */
export function depthwiseInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, inShape: readonly number[], stride: number): tf.Tensor4D {
  const k = w.shape[0];
  const p = padAmount(k);
  const [n, oh, ow, c] = dy.shape;
  const [, h, wd] = inShape;
  let z = dy;
  if (stride > 1) {
    const s = stride;
    const expanded = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, c]), [
      [0, 0],
      [0, 0],
      [0, s - 1],
      [0, 0],
      [0, s - 1],
      [0, 0],
    ]);
    z = tf.reshape(expanded, [n, oh * s, ow * s, c]) as tf.Tensor4D;
  }
  // z now has (o - 1) * s + 1 meaningful rows plus s - 1 trailing zeros.
  const extra = stride - 1;
  const lead = k - 1 - p;
  const trailH = h + p - (oh - 1) * stride - 1 - extra;
  const trailW = wd + p - (ow - 1) * stride - 1 - extra;
  if (trailH < 0 || trailW < 0) {
    z = tf.slice(z, [0, 0, 0, 0], [-1, z.shape[1] + Math.min(0, trailH), z.shape[2] + Math.min(0, trailW), -1]);
  }
  const zp = padSpatial(z, lead, Math.max(0, trailH), lead, Math.max(0, trailW));
  const wr = tf.reverse(w, [0, 1]) as tf.Tensor4D;
  return tf.depthwiseConv2d(zp, wr, 1, 'valid');
}

/** Depthwise k x k conv, stride s, padding k//2, with WASM-friendly gradients. */
export function depthwiseConv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number): tf.Tensor4D {
  const k = w.shape[0];
  const f = tf.customGrad<tf.Tensor4D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.depthwiseConv2d(x4, w4, stride, padAmount(k)),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [depthwiseInputGrad(dy, ws, xs.shape, stride), depthwiseFilterGrad(xs, dy, k, stride)];
      },
    };
  });
  return f(x, w);
}

/** 1x1 conv as a matrix product: x [N,H,W,Ci] times w [Ci, Co]. */
export function pointwise(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D {
  const [n, h, wd, ci] = x.shape;
  const y = tf.matMul(tf.reshape(x, [n * h * wd, ci]), w);
  return tf.reshape(y, [n, h, wd, w.shape[1]]);
}
