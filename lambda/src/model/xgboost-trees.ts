import type { XGBoostSpec, XGBoostTreeSpec } from './families/xgboost';
import type { Regressor, SparseRows } from './sparse-rows';
import { LEAF, type TreeArrays, toInt32, treeArrays } from './tree-arrays';

/** An XGBoost tree: threshold holds split values at inner nodes and leaf values at leaves. */
type Tree = TreeArrays & { defaultLeft: Int32Array };

const compile = (tree: XGBoostTreeSpec): Tree => ({ ...treeArrays(tree), defaultLeft: toInt32(tree.default_left) });

export interface XGBoostOptions {
  /**
   * The model was trained behind a dense DictVectorizer (sparse=False): a feature absent from
   * the row was a 0 in training, a value, not a missing one.
   */
  absentIsZero: boolean;
}

/**
 * XGBoost's gbtree, evaluated as XGBoost does: on a sparse matrix, a feature absent from the
 * row is missing and takes the node's default direction (on a dense one, it is 0); a value
 * goes left when value < split, in float32; the leaves add up in float32 from the base margin,
 * tree by tree; then the objective's link turns the margin into a prediction.
 */
export class XGBoostTrees implements Regressor {
  readonly kind = 'XGBoost';
  private readonly trees: Tree[];
  private readonly baseMargin: number;

  constructor(
    private readonly spec: XGBoostSpec,
    private readonly options: XGBoostOptions = { absentIsZero: false },
  ) {
    this.trees = spec.trees.map(compile);
    this.baseMargin = Math.fround(spec.base_margin);
  }

  predict(rows: SparseRows): Float64Array {
    const { offsets, indices } = rows;
    const values = Float32Array.from(rows.values);
    const out = new Float64Array(rows.rowCount).fill(this.baseMargin);
    const { absentIsZero } = this.options;
    for (const { left, right, feature, threshold, defaultLeft } of this.trees) {
      for (let r = 0; r < rows.rowCount; r++) {
        const start = offsets[r];
        const end = offsets[r + 1];
        let node = 0;
        while (left[node] !== LEAF) {
          const f = feature[node];
          let k = start;
          while (k < end && indices[k] !== f) k++;
          if (k < end) node = values[k] < threshold[node] ? left[node] : right[node];
          else if (absentIsZero) node = 0 < threshold[node] ? left[node] : right[node];
          else node = defaultLeft[node] ? left[node] : right[node];
        }
        out[r] = Math.fround(out[r] + threshold[node]);
      }
    }
    if (this.spec.link === 'exp') for (let r = 0; r < out.length; r++) out[r] = Math.fround(Math.exp(out[r]));
    return out;
  }

  describe(): Record<string, number> {
    return { trees: this.trees.length, nodes: this.trees.reduce((n, t) => n + t.threshold.length, 0) };
  }
}
