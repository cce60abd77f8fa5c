/** A leaf's children. */
export const LEAF = -1;

/** The node arrays every tree has, sklearn's and XGBoost's alike, as typed arrays. */
export interface TreeArrays {
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
}

/** The arrays as model.json gives them, without a copy when they came packed (typed already). */
export function treeArrays(tree: {
  children_left: ArrayLike<number>;
  children_right: ArrayLike<number>;
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
}): TreeArrays {
  return {
    left: toInt32(tree.children_left),
    right: toInt32(tree.children_right),
    feature: toInt32(tree.feature),
    threshold: toFloat64(tree.threshold),
  };
}

export const toInt32 = (a: ArrayLike<number>): Int32Array => (a instanceof Int32Array ? a : Int32Array.from(a));
export const toFloat64 = (a: ArrayLike<number>): Float64Array => (a instanceof Float64Array ? a : Float64Array.from(a));
