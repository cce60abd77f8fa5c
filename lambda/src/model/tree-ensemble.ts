import type { DecisionTreeSpec, ForestSpec, GradientBoostingSpec, TreeSpec } from './format';
import type { Regressor, SparseRows } from './sparse-rows';

const LEAF = -1;

/** How the trees' outputs make one prediction. */
type Combine =
  | { kind: 'mean' } // a forest (and a single tree): the average of the trees
  | { kind: 'boosting'; init: number; learningRate: number }; // init + sum of learningRate * tree

/**
 * The tree models of sklearn, with every tree flattened into shared typed arrays.
 * Inputs are compared as float32, because sklearn casts X to float32 before walking a tree.
 */
export class TreeEnsemble implements Regressor {
  readonly kind: string;
  private readonly roots: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly value: Float64Array;

  private constructor(kind: string, trees: readonly TreeSpec[], private readonly combine: Combine) {
    this.kind = kind;
    const total = trees.reduce((n, t) => n + t.value.length, 0);
    this.roots = new Int32Array(trees.length);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.feature = new Int32Array(total);
    this.threshold = new Float64Array(total);
    this.value = new Float64Array(total);
    let base = 0;
    trees.forEach((tree, t) => {
      this.roots[t] = base;
      for (let node = 0; node < tree.value.length; node++) {
        const at = base + node;
        const isLeaf = tree.children_left[node] === LEAF;
        this.left[at] = isLeaf ? LEAF : base + tree.children_left[node];
        this.right[at] = isLeaf ? LEAF : base + tree.children_right[node];
        this.feature[at] = isLeaf ? 0 : tree.feature[node];
        this.threshold[at] = tree.threshold[node];
        this.value[at] = tree.value[node];
      }
      base += tree.value.length;
    });
  }

  static decisionTree(spec: DecisionTreeSpec): TreeEnsemble {
    return new TreeEnsemble(spec.type, [spec.tree], { kind: 'mean' });
  }

  static forest(spec: ForestSpec): TreeEnsemble {
    return new TreeEnsemble(spec.type, spec.trees, { kind: 'mean' });
  }

  static gradientBoosting(spec: GradientBoostingSpec): TreeEnsemble {
    return new TreeEnsemble(spec.type, spec.trees, {
      kind: 'boosting',
      init: spec.init,
      learningRate: spec.learning_rate,
    });
  }

  predict(rows: SparseRows): Float64Array {
    const { offsets, indices } = rows;
    const { roots, left, right, feature, threshold, value, combine } = this;
    // sklearn casts X to float32 before walking a tree.
    const values = Float32Array.from(rows.values);
    const out = new Float64Array(rows.rowCount);
    if (combine.kind === 'boosting') out.fill(combine.init);
    const scale = combine.kind === 'boosting' ? combine.learningRate : 1;
    // Tree by tree over all rows, so that one tree stays in cache while every row walks it;
    // each row still sums its trees in sklearn's order, so results agree to the last bit.
    for (let t = 0; t < roots.length; t++) {
      for (let r = 0; r < rows.rowCount; r++) {
        const start = offsets[r];
        const end = offsets[r + 1];
        let node = roots[t];
        while (left[node] !== LEAF) {
          const f = feature[node];
          let x = 0; // absent from a sparse row: zero
          for (let k = start; k < end; k++) {
            if (indices[k] === f) {
              x = values[k];
              break;
            }
          }
          node = x <= threshold[node] ? left[node] : right[node];
        }
        out[r] += scale * value[node]; // scale is 1 for a forest: exact
      }
    }
    if (combine.kind === 'mean') for (let r = 0; r < out.length; r++) out[r] /= roots.length;
    return out;
  }

  describe(): Record<string, number> {
    return { trees: this.roots.length, nodes: this.value.length };
  }
}
