import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { maxConfig, minConfig, uniformConfig } from '../../core/config';
import { ValidationError } from '../../core/errors';
import { SPACES } from '../../core/space';
import { canonicalJson, subnetId } from '../../core/subnet-id';
import { exportSubnet } from '../../models/export';
import { decodeModel } from '../../models/onnx-proto';
import { randomSupernetWeights } from '../../models/random-weights';
import { runOnnx } from './round-trip';

const mini = SPACES['ofa-mbv3-mini'];
const w10 = SPACES['ofa-mbv3-w1.0'];

describe('exportSubnet', () => {
  it('gives the same bytes for the same (space, config, seed) and different bytes otherwise', () => {
    const config = uniformConfig(w10, { k: 5, e: 4, d: 3, r: 160 });
    const first = randomSupernetWeights(w10, 1);
    const a = exportSubnet({ space: w10, config, weights: first });
    const b = exportSubnet({ space: w10, config, weights: randomSupernetWeights(w10, 1) });
    expect(a.sha256).toBe(b.sha256);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(a.sha256).toBe(createHash('sha256').update(a.bytes).digest('hex'));
    expect(exportSubnet({ space: w10, config, weights: randomSupernetWeights(w10, 2) }).sha256).not.toBe(a.sha256);
    expect(exportSubnet({ space: w10, config: { ...config, r: 164 }, weights: first }).sha256).not.toBe(a.sha256);
  });

  it('writes opset 17 with input/output names, folded BN, HardSwish/HardSigmoid and provenance metadata', () => {
    const config = maxConfig(mini);
    const model = decodeModel(exportSubnet({ space: mini, config, weights: randomSupernetWeights(mini, 0) }).bytes);
    expect(model.opset_import).toEqual([{ domain: '', version: 17 }]);
    expect(model.ir_version).toBe(8);
    expect(model.producer_name).toBe('ofa-farm');
    const io = (v: (typeof model.graph.input)[number]) => [v.name, v.type.tensor_type.shape.dim.map((d) => Number(d.dim_value))];
    expect(model.graph.input.map(io)).toEqual([['input', [1, 1, 28, 28]]]);
    expect(model.graph.output.map(io)).toEqual([['logits', [1, 10]]]);
    const ops = new Set(model.graph.node.map((n) => n.op_type));
    expect([...ops].sort()).toEqual(['Add', 'Conv', 'Flatten', 'Gemm', 'GlobalAveragePool', 'HardSigmoid', 'HardSwish', 'Mul', 'Relu']);
    const hs = model.graph.node.find((n) => n.op_type === 'HardSigmoid')!;
    expect(hs.attribute.find((a) => a.name === 'alpha')!.f).toBeCloseTo(1 / 6, 7);
    expect(hs.attribute.find((a) => a.name === 'beta')!.f).toBe(0.5);
    // 1 stem + block 0 (2 convs) + 20 blocks x 3 convs + SE 2 x 12 + final expand + feature mix.
    expect(model.graph.node.filter((n) => n.op_type === 'Conv')).toHaveLength(1 + 2 + 60 + 24 + 2);
    expect(model.graph.node.filter((n) => n.op_type === 'Add')).toHaveLength(1 + 5 * 3);
    const meta = Object.fromEntries(model.metadata_props.map((p) => [p.key, p.value]));
    expect(meta).toEqual({
      'ofa_farm.config': canonicalJson(mini, config),
      'ofa_farm.space': 'ofa-mbv3-mini',
      'ofa_farm.subnet_id': subnetId(mini, config),
      'ofa_farm.weights': 'random he_fout seed 0',
    });
  });

  it('runs the seeded random (he_fout) model of both ends of the space in onnxruntime-node', async () => {
    const weights = randomSupernetWeights(mini, 3);
    for (const config of [maxConfig(mini), minConfig(mini)]) {
      const exported = exportSubnet({ space: mini, config, weights });
      const input = new Float32Array(config.r * config.r).map((_, i) => Math.cos(i));
      const logits = await runOnnx(exported.bytes, input, exported.inputShape);
      expect(logits.dims).toEqual(exported.outputShape);
      expect((logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });

  it('rejects invalid configs and weights of another space with ValidationErrors', () => {
    const weights = randomSupernetWeights(mini, 0);
    expect(() => exportSubnet({ space: mini, config: { ...maxConfig(mini), r: 30 }, weights })).toThrow(ValidationError);
    expect(() => exportSubnet({ space: mini, config: { ...maxConfig(mini), ks: [4, ...Array(19).fill(3)] }, weights })).toThrow(/ks\[0\] = 4 is not allowed/);
    expect(() => exportSubnet({ space: w10, config: maxConfig(w10), weights })).toThrow(/the weights are for ofa-mbv3-mini, not ofa-mbv3-w1.0/);
  });
});
