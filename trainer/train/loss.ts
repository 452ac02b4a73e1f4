/**
 * The reference training loss for one subnet (§5.4): kd_ratio x soft cross-entropy against the
 * teacher's probabilities (temperature 1) plus cross-entropy with label smoothing 0.1, both
 * averaged over the batch. Written as one soft target: -mean_b sum_c t_c log_softmax(z)_c with
 * t = kd_ratio * p_teacher + (1 - ls) * onehot + ls / classes.
 */
import * as tf from '@tensorflow/tfjs';

export interface LossOptions {
  labelSmoothing: number;
  kdRatio: number;
}

export function softTarget(labels: Int32Array, classes: number, teacherProbs: tf.Tensor2D | null, opts: LossOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const smooth = tf.add(tf.mul(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 1 - opts.labelSmoothing), opts.labelSmoothing / classes);
    return (teacherProbs && opts.kdRatio > 0 ? tf.add(smooth, tf.mul(teacherProbs, opts.kdRatio)) : smooth) as tf.Tensor2D;
  });
}

export function softCrossEntropy(logits: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}
