/**
 * A short real training run on a small slice of Fashion-MNIST: the loss goes down, every phase
 * writes a checkpoint, a run resumes from a phase's checkpoint (teacher taken from its meta), and
 * a recalibrated subnet exported to ONNX computes the same logits in onnxruntime-node as the
 * TensorFlow.js subnet. The calibrated checkpoint also exports identically through the CLI.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/subnet-id';
import { maxConfig, type SubnetConfig } from '../../core/config';
import { SPACES } from '../../core/space';
import { readCheckpoint } from '../../models/checkpoint';
import { randomSupernetWeights } from '../../models/random-weights';
import { initBackend } from '../../trainer/backend';
import { loadSupernet } from '../../trainer/checkpoint-io';
import { evalBatch, splitData, type DataSplits } from '../../trainer/data/dataset';
import { loadFashionMnist } from '../../trainer/data/fashion-mnist';
import { calibrateSubnet, exportCalibrated } from '../../trainer/eval/calibrated';
import { inferLogits } from '../../trainer/eval/evaluate';
import { onnxLogits, onnxSession } from '../../trainer/eval/onnx-eval';
import { forwardNet } from '../../trainer/supernet/forward';
import { elasticView } from '../../trainer/supernet/net-weights';
import { SupernetParams } from '../../trainer/supernet/params';
import { silentProgress } from '../../trainer/train/progress';
import { runTraining } from '../../trainer/train/run';
import { getSchedule, type Schedule } from '../../trainer/train/schedules';
import { runCli } from '../helpers/cli';

const space = SPACES['ofa-mbv3-mini'];

function tinySchedule(): Schedule {
  const quick = getSchedule('quick');
  const length: Record<string, number> = { full: 16, kernel: 3, 'depth-1': 2 };
  return {
    name: 'test',
    batchSize: 32,
    stepsPerEpoch: 1,
    phases: quick.phases.filter((p) => p.name in length).map((p) => ({ ...p, warmupEpochs: 0, epochs: length[p.name] })),
  };
}

/** Cross-entropy of the max net (batch-statistics BN) on fixed training images. */
function fixedLoss(params: SupernetParams, data: DataSplits): number {
  const batch = evalBatch(data.set, data.train.subarray(0, 128), 28);
  return tf.tidy(() => {
    const x = tf.tensor4d(batch.x, [batch.size, 28, 28, 1]);
    const logits = forwardNet(elasticView(params, maxConfig(space, 28)), x, { bn: { mode: 'batch', eps: space.bn.eps } });
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(batch.labels, 'int32'), 10), logits).dataSync()[0];
  });
}

describe('training on a slice of Fashion-MNIST', () => {
  let dir = '';
  let data: DataSplits;

  beforeAll(async () => {
    await initBackend();
    dir = await mkdtemp(join(tmpdir(), 'ofa-train-'));
    data = splitData(loadFashionMnist().train, { trainLimit: 128 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lowers the loss, checkpoints every phase, resumes, and exports a subnet that matches in onnxruntime', async () => {
    const out = join(dir, 'net.ofa');
    const schedule = tinySchedule();
    const live = tf.memory();
    const first = await runTraining({ space, schedule, out, phase: 'full', data, seed: 3, progress: silentProgress });
    expect(first.checkpoints).toEqual([join(dir, 'net.full.ofa')]);
    // Nothing of the run stays allocated (a leak per step exhausts WASM memory in a long run).
    expect(tf.memory().numTensors).toBe(live.numTensors);
    expect(tf.memory().numBytes).toBe(live.numBytes);

    const initial = SupernetParams.fromWeights(randomSupernetWeights(space, 3));
    const before = fixedLoss(initial, data);
    initial.dispose();
    const full = await loadSupernet(join(dir, 'net.full.ofa'));
    const after = fixedLoss(full.params, data);
    full.params.dispose();
    expect(after).toBeLessThan(before - 0.05);
    expect(full.checkpoint.phase).toBe('full');

    // Resume: the next phases start from the full checkpoint, which is also their teacher.
    const rest = await runTraining({ space, schedule, out, resume: join(dir, 'net.full.ofa'), data, seed: 3, progress: silentProgress });
    expect(rest.phases.map((p) => p.phase)).toEqual(['kernel', 'depth-1']);
    const last = await readCheckpoint(out);
    expect(last.phase).toBe('depth-1');
    expect(last.meta.teacher).toBe('net.full.ofa');
    expect((last.meta.history as { phase: string }[]).map((h) => h.phase)).toEqual(['full', 'kernel', 'depth-1']);

    // Export of a recalibrated subnet: ORT on the folded model equals the tfjs subnet.
    const { params } = await loadSupernet(out);
    const config: SubnetConfig = { ks: Array(20).fill(5), e: Array(20).fill(6), d: [2, 3, 4, 3, 2], r: 24 };
    config.ks[0] = 3;
    config.ks[5] = 7;
    const calibrated = calibrateSubnet(params, config, data);
    const onnx = exportCalibrated(params, calibrated);
    const batch = evalBatch(data.set, data.valid.subarray(0, 4), config.r);
    const ours = inferLogits(params, config, calibrated.stats, batch.x, batch.size);
    const session = await onnxSession(onnx.bytes);
    const theirs = await onnxLogits(session, batch.x, batch.size, config.r, 10);
    await session.release();
    const scale = ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const diff = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs[i])), 0);
    expect(scale).toBeGreaterThan(0.1);
    expect(diff / scale).toBeLessThanOrEqual(1e-4);
    params.dispose();

    // The CLI writes the calibrated checkpoint; `subnet export --checkpoint` then deploys the same model.
    const calibratedPath = join(dir, 'calibrated.ofa');
    const cal = await runCli(['supernet', 'calibrate', '--checkpoint', out, '--config', JSON.stringify(config), '--out', calibratedPath, '--train-limit', '128', '--json']);
    expect(cal.code, cal.stderr).toBe(0);
    const meta = (await readCheckpoint(calibratedPath)).meta.bnCalibratedFor as { subnetId: string; config: SubnetConfig };
    expect(JSON.stringify(meta.config)).toBe(canonicalJson(space, config));
    const onnxPath = join(dir, 'subnet.onnx');
    const exported = await runCli(['subnet', 'export', '--space', space.name, '--config', JSON.stringify(config), '--checkpoint', calibratedPath, '--out', onnxPath, '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    const cliBytes = await readFile(onnxPath);
    const session2 = await onnxSession(cliBytes);
    const viaCli = await onnxLogits(session2, batch.x, batch.size, config.r, 10);
    await session2.release();
    // Same subset (the 128-image slice), same statistics, so the same function.
    expect(viaCli.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs[i])), 0) / scale).toBeLessThanOrEqual(1e-4);
  }, 600_000);
});
