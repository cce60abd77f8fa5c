/**
 * What a built model is made of: stages, each the evaluator of one fitted step. A featurizer
 * turns rides into the matrix the model was trained on, transformers (scalers) change that
 * matrix, and a predictor turns it, or rides, into one number per ride. Everything a stage
 * needs to know about its input (its width, sparse or dense, what an absent column holds) is
 * decided when the model is built, never per ride.
 */
import type { FeatureUse, Ride } from '../rides/schema';
import type { SparseRows } from './sparse-rows';

/** The matrix a featurizer makes, as the steps after it see it: known at load. */
export interface MatrixShape {
  /** The number of columns. */
  readonly width: number;
  /**
   * `sparse`: a column a row has no entry for is a structural zero (scipy's CSR; XGBoost reads
   * it as missing). `dense`: it is a value, 0 unless a transform moved it (see `absent`).
   */
  readonly layout: 'sparse' | 'dense';
  /** Dense only: what each column holds where a row has no entry; undefined means 0 everywhere. */
  readonly absent?: Float64Array;
  /**
   * The values are numpy float32 (a OneHotEncoder(dtype=np.float32) alone in its
   * ColumnTransformer): a scaler or a linear model after it computes in float32, which this
   * runtime does not, so those refuse it; a tree casts to float32 anyway.
   */
  readonly float32?: boolean;
  /**
   * The group of each column: the columns of one group are one feature's one-hots (or one
   * numeric column), so that a row has at most one entry per group. The tree walk reads a
   * node's feature from its group's slot of the row.
   */
  readonly groups: Int32Array;
  readonly groupCount: number;
}

/** Rides on their way into a featurizer; a featurizer may refuse one, with the reason (an unknown zone under handle_unknown="error"). */
export interface RideBatch {
  readonly kind: 'rides';
  readonly rides: readonly Ride[];
  readonly refusals: Map<number, string>;
}

/** A stage's input: a batch of rides, or of rows of a matrix. */
export type Batch = RideBatch | SparseRows;

/**
 * What a stage is built to take: rides (and, inside a ColumnTransformer, the columns of the
 * DataFrame it was given in training), or a matrix of a known shape.
 */
export type StageInput =
  | { readonly kind: 'rides'; readonly columns?: readonly string[] }
  | { readonly kind: 'matrix'; readonly shape: MatrixShape };

interface StageInfo {
  /** The fitted step's name, as scikit-learn calls it: `RandomForestRegressor`, `Pipeline`. */
  readonly name: string;
  /** The ride features it reads (a featurizer's, or a composite's that holds one); empty for a matrix stage. */
  readonly inputs: readonly FeatureUse[];
  /** Size figures for logs and the model summary, such as trees or coefficients. */
  describe(): Record<string, string | number>;
}

/** A featurizer or transformer: its output is a matrix of the shape it says. */
export interface MatrixStage extends StageInfo {
  readonly output: 'matrix';
  readonly shape: MatrixShape;
  transform(batch: Batch): SparseRows;
}

/** A predictor: one number per row, in row order. */
export interface PredictionStage extends StageInfo {
  readonly output: 'predictions';
  /**
   * The predictions are numpy float32 (an XGBRegressor's): the steps around it that compute with
   * them (a target's inverse, a vote) compute in float32, as numpy does with a float32 array.
   */
  readonly float32?: boolean;
  predict(batch: Batch): Float64Array;
}

export type Stage = MatrixStage | PredictionStage;

/** A spec of any family: its `type` names the family, `estimator` the scikit-learn class. */
export interface SpecBase {
  readonly type: string;
  readonly estimator?: string;
  /** The number of features it was fitted on (scikit-learn's n_features_in_), checked against what the steps before it make. */
  readonly n_features_in?: number;
}

/** The number of columns a shape's groups need, for a matrix without one-hots: one group per column. */
export function columnGroups(width: number, first = 0): Int32Array {
  return Int32Array.from({ length: width }, (_, i) => first + i);
}
