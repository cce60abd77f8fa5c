import type { Regressor, SparseRows } from '../sparse-rows';
import { DEFAULT_LEFT_MASK, type LightGBMSpec, MISSING_NAN, MISSING_ZERO, missingType } from './lightgbm-model';
import { RowScatter } from './row-scatter';

/** LightGBM's kZeroThreshold: a value this close to 0 counts as zero for missing type Zero. */
const ZERO_THRESHOLD = Math.fround(1e-35);

/**
 * LightGBM's gbdt, rf and dart, evaluated as its predictor does, in float64: a feature absent
 * from a row is 0.0 (a sparse matrix's absent entries are zeros to LightGBM); NaN is 0.0
 * unless the split's missing type is NaN; a missing value (NaN for type NaN, a zero for type
 * Zero) takes the split's default direction; otherwise `value <= threshold` goes left. The
 * leaves add up in tree order from 0, rf mode averages them, and the objective's conversion
 * makes the prediction.
 *
 * @example
 * const model = new LightGBMEvaluator(readLightGBMModel(text));
 * model.predict(rows); // Float64Array, one prediction per row
 */
export class LightGBMEvaluator implements Regressor {
  readonly kind = 'LightGBM';
  // Inner nodes of all trees in one set of arrays; tree t's start at roots[t] (-1 for a single-leaf tree).
  // A child >= 0 is an absolute inner node, a child < 0 is ~(absolute leaf).
  private readonly roots: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly decision: Uint8Array;
  private readonly leafValue: Float64Array;
  /** The leaf of a single-leaf tree. */
  private readonly onlyLeaf: Int32Array;
  private readonly row: RowScatter;

  constructor(private readonly spec: LightGBMSpec) {
    const inner = spec.trees.reduce((n, t) => n + t.numLeaves - 1, 0);
    const leaves = spec.trees.reduce((n, t) => n + t.numLeaves, 0);
    this.roots = new Int32Array(spec.trees.length);
    this.onlyLeaf = new Int32Array(spec.trees.length);
    this.left = new Int32Array(inner);
    this.right = new Int32Array(inner);
    this.feature = new Int32Array(inner);
    this.threshold = new Float64Array(inner);
    this.decision = new Uint8Array(inner);
    this.leafValue = new Float64Array(leaves);
    let nodeOffset = 0;
    let leafOffset = 0;
    spec.trees.forEach((tree, t) => {
      const n = tree.numLeaves - 1;
      this.roots[t] = n > 0 ? nodeOffset : -1;
      this.onlyLeaf[t] = leafOffset;
      const shift = (child: number) => (child >= 0 ? child + nodeOffset : ~(~child + leafOffset));
      for (let i = 0; i < n; i++) {
        this.left[nodeOffset + i] = shift(tree.left[i]);
        this.right[nodeOffset + i] = shift(tree.right[i]);
      }
      this.feature.set(tree.splitFeature, nodeOffset);
      this.threshold.set(tree.threshold, nodeOffset);
      this.decision.set(tree.decisionType, nodeOffset);
      this.leafValue.set(tree.leafValue, leafOffset);
      nodeOffset += n;
      leafOffset += tree.numLeaves;
    });
    this.row = new RowScatter(spec.numFeatures);
  }

  predict(rows: SparseRows): Float64Array {
    const { roots, left, right, feature, threshold, decision, leafValue, onlyLeaf, row } = this;
    const { averageOutput, iterations, link } = this.spec;
    const out = new Float64Array(rows.rowCount);
    for (let r = 0; r < rows.rowCount; r++) {
      row.scatter(rows, r, Number);
      const { values, present } = row;
      const stamp = row.stamp;
      let sum = 0;
      for (let t = 0; t < roots.length; t++) {
        let node = roots[t];
        if (node < 0) {
          sum += leafValue[onlyLeaf[t]];
          continue;
        }
        while (node >= 0) {
          const f = feature[node];
          const type = decision[node];
          const missing = missingType(type);
          let x = present[f] === stamp ? values[f] : 0;
          if (Number.isNaN(x) && missing !== MISSING_NAN) x = 0;
          if ((missing === MISSING_ZERO && x >= -ZERO_THRESHOLD && x <= ZERO_THRESHOLD) || (missing === MISSING_NAN && Number.isNaN(x))) {
            node = type & DEFAULT_LEFT_MASK ? left[node] : right[node];
          } else {
            node = x <= threshold[node] ? left[node] : right[node];
          }
        }
        sum += leafValue[~node];
      }
      if (averageOutput) sum /= iterations;
      out[r] = link === 'identity' ? sum : link === 'exp' ? Math.exp(sum) : Math.sign(sum) * sum * sum;
    }
    return out;
  }

  describe(): Record<string, number> {
    return { trees: this.roots.length, nodes: this.left.length + this.leafValue.length, features: this.spec.numFeatures };
  }
}
