import type { DecisionTreeSpec, ForestSpec, GradientBoostingSpec, TreeSpec } from './format';
import type { Regressor, SparseRows } from './sparse-rows';
import { LEAF, toFloat64, treeArrays, type TreeArrays } from './tree-arrays';


/** How the trees' outputs make one prediction. */
type Combine =
  | { kind: 'mean' } // a forest (and a single tree): the average of the trees
  | { kind: 'boosting'; init: number; learningRate: number }; // init + sum of learningRate * tree

/** One sklearn tree as the walk needs it: its node arrays and its leaf values. */
type Tree = TreeArrays & { value: Float64Array };

const compile = (tree: TreeSpec): Tree => ({ ...treeArrays(tree), value: toFloat64(tree.value) });

/**
 * The tree models of sklearn. Inputs are compared as float32, because sklearn casts X to
 * float32 before walking a tree.
 */
export class TreeEnsemble implements Regressor {
  readonly kind: string;
  private readonly trees: Tree[];

  private constructor(kind: string, trees: readonly TreeSpec[], private readonly combine: Combine) {
    this.kind = kind;
    this.trees = trees.map(compile);
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
    const { combine } = this;
    // sklearn casts X to float32 before walking a tree.
    const values = Float32Array.from(rows.values);
    const out = new Float64Array(rows.rowCount);
    if (combine.kind === 'boosting') out.fill(combine.init);
    const scale = combine.kind === 'boosting' ? combine.learningRate : 1;
    // Tree by tree over all rows, so that one tree stays in cache while every row walks it;
    // each row still sums its trees in sklearn's order, so results agree to the last bit.
    for (const { left, right, feature, threshold, value } of this.trees) {
      for (let r = 0; r < rows.rowCount; r++) {
        const start = offsets[r];
        const end = offsets[r + 1];
        let node = 0;
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
    if (combine.kind === 'mean') for (let r = 0; r < out.length; r++) out[r] /= this.trees.length;
    return out;
  }

  describe(): Record<string, number> {
    return { trees: this.trees.length, nodes: this.trees.reduce((n, t) => n + t.value.length, 0) };
  }
}
