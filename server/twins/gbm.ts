/**
 * A small gradient-boosted regression-tree model (squared loss), written here because no
 * maintained npm package offers boosting for regression that serialises to plain JSON. Trees are
 * shallow (depth 3), shrunk (learning rate 0.05), and see a random 80% of rows and 50% of
 * features each round, seeded. Split search uses one presorted order per feature, so a tree costs
 * O(depth x features x rows).
 */
import type { Rng } from '../../core/rng';

export interface Tree {
  /** Per node: split feature, or -1 for a leaf. */
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface GbmModel {
  init: number;
  learningRate: number;
  trees: Tree[];
}

export interface GbmOptions {
  rounds?: number;
  depth?: number;
  learningRate?: number;
  minLeaf?: number;
  rowSample?: number;
  featureSample?: number;
  rng: Rng;
}

export function predictTree(tree: Tree, row: ArrayLike<number>): number {
  let node = 0;
  for (let guard = 0; guard < 64 && tree.feature[node] >= 0; guard++) {
    node = row[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  }
  return tree.value[node];
}

export function predictGbm(model: GbmModel, row: ArrayLike<number>): number {
  let y = model.init;
  for (const tree of model.trees) y += model.learningRate * predictTree(tree, row);
  return y;
}

interface Split {
  feature: number;
  threshold: number;
  gain: number;
}

function bestSplit(rows: readonly ArrayLike<number>[], target: Float64Array, members: Uint8Array, count: number, features: number[], orders: Int32Array[], minLeaf: number): Split | null {
  let total = 0;
  for (let i = 0; i < members.length; i++) if (members[i]) total += target[i];
  const parentScore = (total * total) / count;
  let best: Split | null = null;
  for (const f of features) {
    const order = orders[f];
    let leftSum = 0;
    let leftCount = 0;
    let prev = Number.NaN;
    for (let o = 0; o < order.length; o++) {
      const i = order[o];
      if (!members[i]) continue;
      const v = rows[i][f];
      if (leftCount >= minLeaf && count - leftCount >= minLeaf && v !== prev) {
        const rightSum = total - leftSum;
        const gain = (leftSum * leftSum) / leftCount + (rightSum * rightSum) / (count - leftCount) - parentScore;
        if (gain > 1e-12 && (!best || gain > best.gain)) best = { feature: f, threshold: (prev + v) / 2, gain };
      }
      leftSum += target[i];
      leftCount++;
      prev = v;
    }
  }
  return best;
}

function growTree(rows: readonly ArrayLike<number>[], target: Float64Array, sample: Uint8Array, features: number[], orders: Int32Array[], depth: number, minLeaf: number): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const grow = (members: Uint8Array, level: number): number => {
    const id = tree.feature.length;
    let count = 0;
    let sum = 0;
    for (let i = 0; i < members.length; i++) {
      if (members[i]) {
        count++;
        sum += target[i];
      }
    }
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(count > 0 ? sum / count : 0);
    if (level >= depth || count < 2 * minLeaf) return id;
    const split = bestSplit(rows, target, members, count, features, orders, minLeaf);
    if (!split) return id;
    const leftMembers = new Uint8Array(members.length);
    const rightMembers = new Uint8Array(members.length);
    for (let i = 0; i < members.length; i++) {
      if (!members[i]) continue;
      if (rows[i][split.feature] <= split.threshold) leftMembers[i] = 1;
      else rightMembers[i] = 1;
    }
    tree.feature[id] = split.feature;
    tree.threshold[id] = split.threshold;
    tree.left[id] = grow(leftMembers, level + 1);
    tree.right[id] = grow(rightMembers, level + 1);
    return id;
  };
  grow(sample, 0);
  return tree;
}

export function fitGbm(rows: readonly ArrayLike<number>[], target: ArrayLike<number>, options: GbmOptions): GbmModel {
  const n = rows.length;
  if (n === 0) throw new RangeError('boosting needs at least one row');
  const p = rows[0].length;
  const rounds = options.rounds ?? 300;
  const depth = options.depth ?? 3;
  const learningRate = options.learningRate ?? 0.05;
  const minLeaf = options.minLeaf ?? Math.max(2, Math.min(5, Math.floor(n / 10)));
  const rowSample = options.rowSample ?? 0.8;
  const featureSample = options.featureSample ?? 0.5;
  const { rng } = options;
  let init = 0;
  for (let i = 0; i < n; i++) init += target[i];
  init /= n;
  const orders = Array.from({ length: p }, (_, f) => Int32Array.from(Array.from({ length: n }, (_, i) => i).sort((a, b) => rows[a][f] - rows[b][f])));
  // Constant features can never split: leave them out of every draw.
  const usable = Array.from({ length: p }, (_, f) => f).filter((f) => rows[orders[f][0]][f] !== rows[orders[f][n - 1]][f]);
  const current = new Float64Array(n).fill(init);
  const residual = new Float64Array(n);
  const trees: Tree[] = [];
  if (usable.length === 0) return { init, learningRate, trees };
  const perTree = Math.max(1, Math.round(usable.length * featureSample));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < n; i++) residual[i] = target[i] - current[i];
    const sample = new Uint8Array(n);
    for (let i = 0; i < n; i++) sample[i] = rng.next() < rowSample ? 1 : 0;
    const features = rng.shuffle(usable).slice(0, perTree);
    const tree = growTree(rows, residual, sample, features, orders, depth, minLeaf);
    trees.push(tree);
    for (let i = 0; i < n; i++) current[i] += learningRate * predictTree(tree, rows[i]);
  }
  return { init, learningRate, trees };
}
