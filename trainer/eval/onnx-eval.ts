/**
 * Evaluation of an exported subnet in onnxruntime-node (the deployed artifact itself: folded BN,
 * batch 1 as models/export writes it). Used to check export fidelity and, where faster, for
 * accuracy measurements.
 */
import * as ort from 'onnxruntime-node';
import { chunks, evalBatch } from '../data/dataset';
import type { ImageSet } from '../data/fashion-mnist';
import { scoreLogits, type EvalResult } from './evaluate';

export async function onnxSession(bytes: Uint8Array, threads = 1): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

/** Logits of n images [n, r, r, 1] (one channel: the same bytes as NCHW), one run per image. */
export async function onnxLogits(session: ort.InferenceSession, x: Float32Array, n: number, r: number, classes: number): Promise<Float32Array> {
  const out = new Float32Array(n * classes);
  const px = r * r;
  for (let i = 0; i < n; i++) {
    const input = new ort.Tensor('float32', x.slice(i * px, (i + 1) * px), [1, 1, r, r]);
    const result = await session.run({ input });
    out.set(result.logits.data as Float32Array, i * classes);
    input.dispose?.();
  }
  return out;
}

export async function evaluateOnnx(bytes: Uint8Array, set: ImageSet, indices: Int32Array, r: number, classes: number): Promise<EvalResult> {
  const session = await onnxSession(bytes);
  try {
    let correct = 0;
    let lossSum = 0;
    for (const chunk of chunks(indices, 500)) {
      const batch = evalBatch(set, chunk, r);
      const s = scoreLogits(await onnxLogits(session, batch.x, batch.size, r, classes), batch.labels, classes);
      correct += s.correct;
      lossSum += s.lossSum;
    }
    return { accuracy: correct / indices.length, loss: lossSum / indices.length, count: indices.length };
  } finally {
    await session.release();
  }
}
