import type { DecisionTreeSpec, ForestSpec, GradientBoostingSpec, HistGradientBoostingSpec, TreeSpec } from './format';
import { PackedTrees } from './packed-trees';
import type { Regressor, SparseRows } from './sparse-rows';

/** How the trees' outputs make one prediction. */
type Combine =
  | { kind: 'mean' } // a forest (and a single tree): the average of the trees
  | { kind: 'boosting'; init: number; learningRate: number; link: 'identity' | 'exp' }; // link(init + sum of learningRate * tree)

/**
 * How a tree reads a feature: sklearn's decision trees cast X to float32 before walking; a
 * histogram gradient boosting compares the float64 values.
 */
const INPUTS = { float32: Math.fround, float64: (x: number) => x } as const;

/**
 * The tree models of sklearn: forests and gradient boostings of its decision trees (inputs
 * compared as float32) and the histogram gradient boosting (inputs compared as float64). A
 * feature absent from a row is 0. The trees are packed for the WebAssembly walk
 * (packed-trees.ts); each row still sums its trees in sklearn's order, so results agree to the
 * last bit.
 */
export class TreeEnsemble implements Regressor {
  readonly kind: string;
  private readonly trees: PackedTrees;

  private constructor(
    kind: string,
    trees: readonly TreeSpec[],
    private readonly combine: Combine,
    private readonly inputs: keyof typeof INPUTS = 'float32',
  ) {
    this.kind = kind;
    this.trees = new PackedTrees(
      trees.map((t) => ({ left: t.children_left, right: t.children_right, feature: t.feature, threshold: t.threshold, value: t.value })),
    );
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
    const { combine } = this;
    const out = new Float64Array(rows.rowCount);
    if (combine.kind === 'boosting') out.fill(combine.init);
    // scale is 1 for a forest and a histogram boosting: exact.
    this.trees.accumulate(rows, out, combine.kind === 'boosting' ? combine.learningRate : 1, INPUTS[this.inputs]);
    if (combine.kind === 'mean') for (let r = 0; r < out.length; r++) out[r] /= this.trees.treeCount;
    else if (combine.link === 'exp') for (let r = 0; r < out.length; r++) out[r] = Math.exp(out[r]);
    return out;
  }

  describe(): Record<string, number> {
    return { trees: this.trees.treeCount, nodes: this.trees.nodeCount };
  }
}
