import type { LinearModelSpec } from './format';
import type { Regressor, SparseRows } from './sparse-rows';

/** LinearRegression, Ridge, Lasso and ElasticNet all predict X @ coef + intercept. */
export class LinearModel implements Regressor {
  readonly kind: string;
  private readonly coef: Float64Array;
  private readonly intercept: number;

  constructor(spec: LinearModelSpec) {
    this.kind = spec.type;
    this.coef = Float64Array.from(spec.coef);
    this.intercept = spec.intercept;
  }

  predict(rows: SparseRows): Float64Array {
    const { offsets, indices, values } = rows;
    const out = new Float64Array(rows.rowCount);
    for (let r = 0; r < rows.rowCount; r++) {
      // Same order of operations as scipy's sparse mat-vec, then the intercept.
      let sum = 0;
      for (let k = offsets[r]; k < offsets[r + 1]; k++) sum += values[k] * this.coef[indices[k]];
      out[r] = sum + this.intercept;
    }
    return out;
  }

  describe(): Record<string, number> {
    return { coefficients: this.coef.length, nonZeroCoefficients: this.coef.filter((c) => c !== 0).length };
  }
}
