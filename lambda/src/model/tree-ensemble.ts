import type { Link } from './families/links';
import { PackedTrees } from './packed-trees';
import type { SparseRows } from './sparse-rows';
import type { NumericArray } from './spec-checks';
import type { MatrixShape } from './stage';

/** One tree: children (-1 at a leaf), the split feature and threshold of each node, and each node's value. */
export interface TreeSpec {
  readonly children_left: NumericArray;
  readonly children_right: NumericArray;
  readonly feature: NumericArray;
  readonly threshold: NumericArray;
  readonly value: NumericArray;
}

/** How the trees' outputs make one prediction. */
export type Combine =
  | { kind: 'mean' } // a forest (and a single tree): the average of the trees
  | { kind: 'boosting'; init: number; learningRate: number; link: Link }; // link(init + sum of learningRate * tree)

/**
 * How a tree reads a feature: sklearn's decision trees cast X to float32 before walking; a
 * histogram gradient boosting compares the float64 values.
 */
export const INPUTS = { float32: Math.fround, float64: (x: number) => x } as const;

/**
 * The tree models of sklearn: forests and gradient boostings of its decision trees (inputs
 * compared as float32) and the histogram gradient boosting (inputs compared as float64). A
 * feature absent from a row holds what the matrix's shape says (0, or what a scaler made of
 * 0). The trees are packed for the WebAssembly walk (packed-trees.ts); each row still sums its
 * trees in sklearn's order, so results agree to the last bit.
 */
export class TreeEnsemble {
  private readonly trees: PackedTrees;

  constructor(
    trees: readonly TreeSpec[],
    private readonly combine: Combine,
    shape: MatrixShape,
    inputs: keyof typeof INPUTS,
  ) {
    this.trees = new PackedTrees(
      trees.map((t) => ({ left: t.children_left, right: t.children_right, feature: t.feature, threshold: t.threshold, value: t.value })),
      { shape, round: INPUTS[inputs] },
    );
  }

  predict(rows: SparseRows): Float64Array {
    const { combine } = this;
    const out = new Float64Array(rows.rowCount);
    if (combine.kind === 'boosting') out.fill(combine.init);
    // scale is 1 for a forest and a histogram boosting: exact.
    this.trees.accumulate(rows, out, combine.kind === 'boosting' ? combine.learningRate : 1);
    if (combine.kind === 'mean') for (let r = 0; r < out.length; r++) out[r] /= this.trees.treeCount;
    else if (combine.link === 'exp') for (let r = 0; r < out.length; r++) out[r] = Math.exp(out[r]);
    return out;
  }

  describe(): Record<string, number> {
    return { trees: this.trees.treeCount, nodes: this.trees.nodeCount };
  }
}
