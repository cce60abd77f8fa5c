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
  /** One dense float32 row, reused: set before a row is walked and cleared after. */
  private readonly row: Float32Array;

  private constructor(kind: string, trees: readonly TreeSpec[], featureCount: number, private readonly combine: Combine) {
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
    this.row = new Float32Array(featureCount);
  }

  static decisionTree(spec: DecisionTreeSpec, featureCount: number): TreeEnsemble {
    return new TreeEnsemble(spec.type, [spec.tree], featureCount, { kind: 'mean' });
  }

  static forest(spec: ForestSpec, featureCount: number): TreeEnsemble {
    return new TreeEnsemble(spec.type, spec.trees, featureCount, { kind: 'mean' });
  }

  static gradientBoosting(spec: GradientBoostingSpec, featureCount: number): TreeEnsemble {
    return new TreeEnsemble(spec.type, spec.trees, featureCount, {
      kind: 'boosting',
      init: spec.init,
      learningRate: spec.learning_rate,
    });
  }

  predict(rows: SparseRows): Float64Array {
    const { offsets, indices, values } = rows;
    const out = new Float64Array(rows.rowCount);
    for (let r = 0; r < rows.rowCount; r++) {
      const start = offsets[r];
      const end = offsets[r + 1];
      for (let k = start; k < end; k++) this.row[indices[k]] = values[k];
      out[r] = this.predictRow();
      for (let k = start; k < end; k++) this.row[indices[k]] = 0;
    }
    return out;
  }

  describe(): Record<string, number> {
    return { trees: this.roots.length, nodes: this.value.length };
  }

  private predictRow(): number {
    const trees = this.roots.length;
    // Accumulate in sklearn's order so that results agree to the last bit.
    if (this.combine.kind === 'boosting') {
      let raw = this.combine.init;
      for (let t = 0; t < trees; t++) raw += this.combine.learningRate * this.walk(this.roots[t]);
      return raw;
    }
    let sum = 0;
    for (let t = 0; t < trees; t++) sum += this.walk(this.roots[t]);
    return sum / trees;
  }

  private walk(root: number): number {
    const { left, right, feature, threshold, row } = this;
    let node = root;
    while (left[node] !== LEAF) node = row[feature[node]] <= threshold[node] ? left[node] : right[node];
    return this.value[node];
  }
}
