import type { SparseRows } from '../../lambda/src/model/sparse-rows';

/** A scipy CSR matrix as the fixture scripts write it (indptr, indices, data). */
export interface CsrJson {
  indptr: number[];
  indices: number[];
  /** null for NaN, which JSON cannot hold. */
  data: (number | null)[];
  width: number;
}

/** The runtime's rows of a CSR matrix written by Python: the very matrix the library predicted on. */
export function csrRows(csr: CsrJson): SparseRows {
  return {
    rowCount: csr.indptr.length - 1,
    offsets: Int32Array.from(csr.indptr),
    indices: Int32Array.from(csr.indices),
    values: Float64Array.from(csr.data, (v) => v ?? Number.NaN),
  };
}
