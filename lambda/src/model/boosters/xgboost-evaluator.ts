import type { Regressor, SparseRows } from '../sparse-rows';
import { RowScatter } from './row-scatter';
import type { XGBoostSpec } from './xgboost-model';
import { expFloat32 } from './xgboost-objectives';

export interface XGBoostEvaluatorOptions {
  /**
   * The model was trained on a dense matrix (a DictVectorizer with sparse=False): a feature
   * absent from the row was a 0 in training, a value, not a missing one. On a sparse matrix
   * it is missing and takes the split's default direction.
   */
  absentIsZero: boolean;
}

/**
 * XGBoost's gbtree and dart (and gblinear, see linearMargins), evaluated as XGBoost does: a value goes left when
 * `value < split`, both in float32; a missing value (absent from a sparse row, or NaN) takes
 * the split's default direction; the leaves add up in float32 from the base margin, tree by
 * tree (dart: each leaf times its tree's weight, the way the spec's predictPath says); then
 * the objective's link turns the margin into a prediction.
 *
 * @example
 * const model = new XGBoostEvaluator(readXGBoostModel(bytes, { api: 'Booster' }), { absentIsZero: false });
 * model.predict(rows); // Float64Array, one prediction per row
 */
export class XGBoostEvaluator implements Regressor {
  readonly kind = 'XGBoost';
  // All trees in one set of arrays; tree t's nodes start at roots[t].
  private readonly roots: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly feature: Int32Array;
  private readonly value: Float32Array;
  private readonly defaultLeft: Uint8Array;
  private readonly row: RowScatter;
  /** gblinear: a row's entries in feature order, grown when a row is longer. */
  private order = new Int32Array(16);

  constructor(
    private readonly spec: XGBoostSpec,
    private readonly options: XGBoostEvaluatorOptions,
  ) {
    const nodes = spec.trees.reduce((n, t) => n + t.left.length, 0);
    this.roots = new Int32Array(spec.trees.length);
    this.left = new Int32Array(nodes);
    this.right = new Int32Array(nodes);
    this.feature = new Int32Array(nodes);
    this.value = new Float32Array(nodes);
    this.defaultLeft = new Uint8Array(nodes);
    let offset = 0;
    spec.trees.forEach((tree, t) => {
      this.roots[t] = offset;
      // Children as absolute node numbers; leaves keep -1.
      for (let i = 0; i < tree.left.length; i++) {
        this.left[offset + i] = tree.left[i] < 0 ? -1 : tree.left[i] + offset;
        this.right[offset + i] = tree.right[i] < 0 ? -1 : tree.right[i] + offset;
      }
      this.feature.set(tree.feature, offset);
      this.value.set(tree.value, offset);
      this.defaultLeft.set(tree.defaultLeft, offset);
      offset += tree.left.length;
    });
    this.row = new RowScatter(spec.numFeatures);
  }

  predict(rows: SparseRows): Float64Array {
    const out = this.margins(rows);
    if (this.spec.link === 'exp') for (let r = 0; r < out.length; r++) out[r] = expFloat32(out[r]);
    return out;
  }

  /** The margins (XGBoost's output_margin=True): the float32 sums before the objective's link. */
  margins(rows: SparseRows): Float64Array {
    if (this.spec.linear !== undefined) return this.linearMargins(rows, this.spec.linear);
    const { roots, left, right, feature, value, defaultLeft, row } = this;
    const { baseMargin, treeWeights, predictPath } = this.spec;
    const absentIsZero = this.options.absentIsZero;
    const out = new Float64Array(rows.rowCount);
    for (let r = 0; r < rows.rowCount; r++) {
      // DMatrix keeps values as float32; NaN is missing, as XGBoost's default missing=NaN makes it.
      row.scatter(rows, r, Math.fround);
      const { values, present } = row;
      const stamp = row.stamp;
      let margin = baseMargin;
      for (let t = 0; t < roots.length; t++) {
        let node = roots[t];
        while (left[node] !== -1) {
          const f = feature[node];
          const x = present[f] === stamp ? values[f] : absentIsZero ? 0 : Number.NaN;
          node = Number.isNaN(x) ? (defaultLeft[node] ? left[node] : right[node]) : x < value[node] ? left[node] : right[node];
        }
        const leaf = value[node];
        if (treeWeights === undefined) margin = Math.fround(margin + leaf);
        else if (predictPath === 'dmatrix') margin = Math.fround(margin + Math.fround(leaf * treeWeights[t]));
        // inplace_predict: the tree's prediction includes the base margin, which dart then takes off before weighting.
        else margin = Math.fround(margin + Math.fround(Math.fround(Math.fround(baseMargin + leaf) - baseMargin) * treeWeights[t]));
      }
      out[r] = margin;
    }
    return out;
  }

  /**
   * gblinear as XGBoost sums it: bias + base margin, then weight * value for each of the row's
   * entries in feature order (a DMatrix row's order), each step in float32; missing values
   * (NaN) are skipped, and a dense matrix's zeros add nothing.
   */
  private linearMargins(rows: SparseRows, { weights, bias }: { weights: Float32Array; bias: number }): Float64Array {
    const out = new Float64Array(rows.rowCount);
    const { indices, values, offsets } = rows;
    const start0 = Math.fround(bias + this.spec.baseMargin);
    for (let r = 0; r < rows.rowCount; r++) {
      const start = offsets[r];
      const count = offsets[r + 1] - start;
      if (count > this.order.length) this.order = new Int32Array(count * 2);
      const order = this.order;
      // Insertion sort of the row's positions by feature: rows hold a handful of entries.
      for (let i = 0; i < count; i++) {
        let j = i;
        while (j > 0 && indices[order[j - 1]] > indices[start + i]) {
          order[j] = order[j - 1];
          j--;
        }
        order[j] = start + i;
      }
      let sum = start0;
      for (let i = 0; i < count; i++) {
        const k = order[i];
        const feature = indices[k];
        const x = Math.fround(values[k]);
        if (feature >= 0 && feature < weights.length && !Number.isNaN(x)) sum = Math.fround(sum + Math.fround(x * weights[feature]));
      }
      out[r] = sum;
    }
    return out;
  }

  describe(): Record<string, number> {
    if (this.spec.linear !== undefined) return { coefficients: this.spec.linear.weights.length, features: this.spec.numFeatures };
    return { trees: this.roots.length, nodes: this.left.length, features: this.spec.numFeatures };
  }
}
