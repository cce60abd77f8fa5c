import type { SparseRows } from '../sparse-rows';

/**
 * One CSR row spread over the model's features, so that a split reads its feature in one
 * step rather than a search of the row. Reused from row to row: `present[f] === stamp` marks
 * the row's features, so nothing is cleared or allocated per row. Indices beyond the model's
 * features are ignored (no split reads them; the width is checked when the model loads).
 */
export class RowScatter {
  readonly values: Float64Array;
  readonly present: Uint32Array;
  stamp = 0;

  constructor(width: number) {
    this.values = new Float64Array(width);
    this.present = new Uint32Array(width);
  }

  scatter(rows: SparseRows, r: number, convert: (x: number) => number): void {
    const { values, present } = this;
    if (++this.stamp === 0xffffffff) {
      present.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    for (let k = rows.offsets[r]; k < rows.offsets[r + 1]; k++) {
      const f = rows.indices[k];
      if (f >= 0 && f < values.length) {
        values[f] = convert(rows.values[k]);
        present[f] = stamp;
      }
    }
  }
}
