import type { DecisionTreeSpec, ForestSpec, GradientBoostingSpec, HistGradientBoostingSpec, TreeSpec } from './format';
import type { Regressor, SparseRows } from './sparse-rows';
import { LEAF, toFloat64, treeArrays, type TreeArrays } from './tree-arrays';


/** How the trees' outputs make one prediction. */
type Combine =
  | { kind: 'mean' } // a forest (and a single tree): the average of the trees
  | { kind: 'boosting'; init: number; learningRate: number; link: 'identity' | 'exp' }; // link(init + sum of learningRate * tree)

/**
 * How a tree reads a feature: sklearn's trees cast X to float32 before walking; a histogram
 * gradient boosting compares the float64 values.
 */
type InputPrecision = 'float32' | 'float64';

/** One sklearn tree as the walk needs it: its node arrays and its leaf values. */
type Tree = TreeArrays & { value: Float64Array };

const compile = (tree: TreeSpec): Tree => ({ ...treeArrays(tree), value: toFloat64(tree.value) });

/**
 * The tree models of sklearn: forests and gradient boostings of its decision trees (inputs
 * compared as float32, as sklearn casts X to float32 before walking a tree) and the
 * histogram gradient boosting (inputs compared as float64). A feature absent from a row is 0.
 */
export class TreeEnsemble implements Regressor {
  readonly kind: string;
  private readonly trees: Tree[];

  private constructor(
    kind: string,
    trees: readonly TreeSpec[],
    private readonly combine: Combine,
    private readonly inputs: InputPrecision = 'float32',
  ) {
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
      link: 'identity',
    });
  }

  /** sklearn's predict: baseline, plus each tree's leaf in turn (shrinkage is in the leaves), then the loss's link. */
  static histGradientBoosting(spec: HistGradientBoostingSpec): TreeEnsemble {
    return new TreeEnsemble(spec.type, spec.trees, { kind: 'boosting', init: spec.baseline, learningRate: 1, link: spec.link }, 'float64');
  }

  predict(rows: SparseRows): Float64Array {
    const { offsets, indices } = rows;
    const { combine } = this;
    const values = this.inputs === 'float32' ? Float32Array.from(rows.values) : rows.values;
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
        out[r] += scale * value[node]; // scale is 1 for a forest and a histogram boosting: exact
      }
    }
    if (combine.kind === 'mean') for (let r = 0; r < out.length; r++) out[r] /= this.trees.length;
    else if (combine.link === 'exp') for (let r = 0; r < out.length; r++) out[r] = Math.exp(out[r]);
    return out;
  }

  describe(): Record<string, number> {
    return { trees: this.trees.length, nodes: this.trees.reduce((n, t) => n + t.value.length, 0) };
  }
}
