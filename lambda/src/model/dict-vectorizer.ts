import type { DictVectorizerSpec } from './format';
import type { SparseRows } from './sparse-rows';

export type FeatureValue = string | number;
export type FeatureRow = Readonly<Record<string, FeatureValue>>;

/**
 * sklearn's DictVectorizer.transform: a string value becomes the one-hot feature
 * `name<separator>value` = 1, a number passes through under its own name, and names the
 * vectorizer never saw in training are ignored, as sklearn ignores them.
 */
export class DictVectorizer {
  private readonly vocabulary: Map<string, number>;
  /** Between a feature's name and a string value in a one-hot column's name: `PU_DO=130_205`. */
  readonly separator: string;
  /** The model's columns, in order. */
  readonly featureNames: readonly string[];

  constructor(spec: DictVectorizerSpec) {
    this.separator = spec.separator;
    this.featureNames = spec.feature_names;
    this.vocabulary = new Map(spec.feature_names.map((name, index) => [name, index]));
  }

  get featureCount(): number {
    return this.vocabulary.size;
  }

  transform(rows: readonly FeatureRow[]): SparseRows {
    const offsets = new Int32Array(rows.length + 1);
    let capacity = 0;
    for (const row of rows) capacity += Object.keys(row).length;
    const indices = new Int32Array(capacity);
    const values = new Float64Array(capacity);

    let n = 0;
    rows.forEach((row, r) => {
      // Entries keep the row's key order, as sklearn's do; sums over them then match bit for bit.
      for (const name in row) {
        const value = row[name];
        const isCategory = typeof value === 'string';
        const index = this.vocabulary.get(isCategory ? name + this.separator + value : name);
        if (index === undefined) continue;
        indices[n] = index;
        values[n] = isCategory ? 1 : value;
        n++;
      }
      offsets[r + 1] = n;
    });
    return { rowCount: rows.length, offsets, indices: indices.subarray(0, n), values: values.subarray(0, n) };
  }
}
