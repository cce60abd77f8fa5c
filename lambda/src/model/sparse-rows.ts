/** A batch of feature rows in compressed sparse row (CSR) form, as sklearn's DictVectorizer makes. */
export interface SparseRows {
  readonly rowCount: number;
  /** Row r's entries are at offsets[r] .. offsets[r + 1] - 1 of indices and values. */
  readonly offsets: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** Every regressor of the runtime: one prediction per row, in row order. */
export interface Regressor {
  readonly kind: string;
  predict(rows: SparseRows): Float64Array;
  /** Size figures for logs and the model summary, such as trees or coefficients. */
  describe(): Record<string, number>;
}
