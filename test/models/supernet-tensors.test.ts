import { describe, expect, it } from 'vitest';
import { maxConfig } from '../../core/config';
import { subnetCost } from '../../core/cost';
import { SPACES, SPACE_NAMES } from '../../core/space';
import { supernetSize, supernetTensorShapes, supernetTensors } from '../../models/supernet-tensors';

const w10 = SPACES['ofa-mbv3-w1.0'];
const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const bnNames = (p: string) => ['weight', 'bias', 'running_mean', 'running_var'].map((s) => `${p}.${s}`);

describe('supernet tensors', () => {
  it('lists the reference state_dict of OFAMobileNetV3 w1.0 in order', () => {
    const names = supernetTensors(w10).map((s) => s.name);
    expect(names.slice(0, 15)).toEqual([
      'first_conv.conv.weight',
      ...bnNames('first_conv.bn'),
      'blocks.0.conv.depth_conv.conv.weight',
      ...bnNames('blocks.0.conv.depth_conv.bn'),
      'blocks.0.conv.point_linear.conv.weight',
      ...bnNames('blocks.0.conv.point_linear.bn'),
    ]);
    // Block 5 = the first block of stage 2 (24 -> 40, SE).
    const block5 = names.filter((n) => n.startsWith('blocks.5.'));
    expect(block5).toEqual([
      'blocks.5.conv.inverted_bottleneck.conv.conv.weight',
      ...bnNames('blocks.5.conv.inverted_bottleneck.bn.bn'),
      'blocks.5.conv.depth_conv.conv.5to3_matrix',
      'blocks.5.conv.depth_conv.conv.7to5_matrix',
      'blocks.5.conv.depth_conv.conv.conv.weight',
      ...bnNames('blocks.5.conv.depth_conv.bn.bn'),
      'blocks.5.conv.depth_conv.se.fc.reduce.weight',
      'blocks.5.conv.depth_conv.se.fc.reduce.bias',
      'blocks.5.conv.depth_conv.se.fc.expand.weight',
      'blocks.5.conv.depth_conv.se.fc.expand.bias',
      'blocks.5.conv.point_linear.conv.conv.weight',
      ...bnNames('blocks.5.conv.point_linear.bn.bn'),
    ]);
    expect(names.slice(-8)).toEqual([
      'final_expand_layer.conv.weight',
      ...bnNames('final_expand_layer.bn'),
      'feature_mix_layer.conv.weight',
      'classifier.linear.weight',
      'classifier.linear.bias',
    ]);
    expect(names.filter((n) => n.includes('num_batches_tracked'))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => /^blocks\.\d+\./.test(n)).map((n) => n.split('.')[1]).filter((v, i, a) => a.indexOf(v) === i)).toHaveLength(21);
  });

  it('uses the PyTorch layouts and the supernet maximum sizes', () => {
    const shapes = supernetTensorShapes(w10);
    expect(shapes.get('first_conv.conv.weight')).toEqual([16, 3, 3, 3]);
    expect(shapes.get('blocks.0.conv.depth_conv.conv.weight')).toEqual([16, 1, 3, 3]);
    expect(shapes.get('blocks.1.conv.inverted_bottleneck.conv.conv.weight')).toEqual([96, 16, 1, 1]);
    expect(shapes.get('blocks.1.conv.depth_conv.conv.conv.weight')).toEqual([96, 1, 7, 7]);
    expect(shapes.get('blocks.1.conv.depth_conv.conv.7to5_matrix')).toEqual([25, 25]);
    expect(shapes.get('blocks.1.conv.depth_conv.conv.5to3_matrix')).toEqual([9, 9]);
    expect(shapes.get('blocks.5.conv.inverted_bottleneck.conv.conv.weight')).toEqual([144, 24, 1, 1]);
    // SE of max mid 240: make_divisible(240 // 4, 8) = 64.
    expect(shapes.get('blocks.6.conv.depth_conv.se.fc.reduce.weight')).toEqual([64, 240, 1, 1]);
    expect(shapes.get('blocks.6.conv.depth_conv.se.fc.expand.weight')).toEqual([240, 64, 1, 1]);
    expect(shapes.get('blocks.13.conv.point_linear.conv.conv.weight')).toEqual([112, 480, 1, 1]);
    expect(shapes.get('feature_mix_layer.conv.weight')).toEqual([1280, 960, 1, 1]);
    expect(shapes.get('classifier.linear.weight')).toEqual([1000, 1280]);
  });

  it('holds the max subnet plus 706 kernel-transform params per elastic block (7.68M for w1.0)', () => {
    for (const name of SPACE_NAMES) {
      const space = SPACES[name];
      const specs = supernetTensors(space);
      const trainable = specs.filter((s) => !s.name.includes('running_')).reduce((sum, s) => sum + count(s.shape), 0);
      expect(trainable, name).toBe(subnetCost(space, maxConfig(space)).params + 20 * (25 * 25 + 9 * 9));
      const running = specs.filter((s) => s.name.includes('running_')).reduce((sum, s) => sum + count(s.shape), 0);
      expect(supernetSize(space)).toBe(trainable + running);
    }
    const trainable10 = supernetTensors(w10).filter((s) => !s.name.includes('running_')).reduce((sum, s) => sum + count(s.shape), 0);
    expect(trainable10).toBe(7_678_880);
  });

  it('scales to the mini space (1 input channel, 10 classes)', () => {
    const shapes = supernetTensorShapes(SPACES['ofa-mbv3-mini']);
    expect(shapes.get('first_conv.conv.weight')).toEqual([8, 1, 3, 3]);
    expect(shapes.get('classifier.linear.weight')).toEqual([10, 320]);
  });
});
