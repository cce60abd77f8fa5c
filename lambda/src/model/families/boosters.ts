/**
 * What the XGBoost and LightGBM families share: a booster takes the matrix of a vectorizer
 * before it, or, trained on a DataFrame of the ride's own numeric columns (its feature names
 * are recipe names), the ride itself.
 */
import { isFeatureName, RECIPES } from '../../rides/schema';
import { fail } from '../errors';
import { chargeEstimators, chargeNodes } from '../limits';
import type { Regressor, SparseRows } from '../sparse-rows';
import type { PredictionStage, StageInput } from '../stage';
import type { Signature } from './family';
import { matrixInput } from './matrix-input';
import { numberColumns } from './ride-columns';

/** A booster's feature names when every one is a numeric input the handler prepares: it can take the ride as its DataFrame was. */
export function rideColumnsOf(featureNames: readonly string[] | undefined): readonly string[] | undefined {
  if (featureNames === undefined || featureNames.length === 0) return undefined;
  return featureNames.every((name) => isFeatureName(name) && RECIPES[name].number !== undefined) ? featureNames : undefined;
}

/**
 * Charges the load for a booster's trees and each tree's nodes, as scikit-learn's are charged as
 * they are parsed (limits.ts).
 */
export function chargeTrees<T>(trees: readonly T[], nodesOf: (tree: T) => number, path: string): void {
  chargeEstimators(trees.length, `${path}.trees`);
  for (const [i, tree] of trees.entries()) chargeNodes(nodesOf(tree), `${path}.trees[${i}]`);
}

export const boosterSignature = (featureNames: readonly string[] | undefined): Signature => ({
  takes: rideColumnsOf(featureNames) ? 'rides' : 'matrix',
  makes: 'predictions',
});

/**
 * The stage of a booster's evaluator for its input: a vectorizer's matrix of the width it was
 * fitted on (whose absent columns are 0: sparse, or dense without a centering step before
 * it), or the ride's named columns as a dense row.
 */
export function boosterStage(options: {
  name: string;
  numFeatures: number;
  featureNames: readonly string[] | undefined;
  input: StageInput;
  path: string;
  evaluator: (dense: boolean) => Regressor;
}): PredictionStage {
  const { name, numFeatures, featureNames, input, path } = options;
  if (input.kind === 'rides') {
    const columns = numberColumns(rideColumnsOf(featureNames), name, path);
    const evaluator = options.evaluator(true);
    return {
      output: 'predictions',
      name,
      inputs: columns.uses,
      predict: (batch) =>
        'kind' in batch ? evaluator.predict(columns.fill(batch.rides, batch.refusals)) : fail(path, `${name} takes the ride here`),
      describe: () => evaluator.describe(),
    };
  }
  const shape = matrixInput(input, name, path);
  if (numFeatures !== shape.width) {
    fail(path, `${name} was fitted on ${numFeatures} features, but the steps before it make ${shape.width}: they were not fitted together`);
  }
  if (shape.absent?.some((v) => v !== 0))
    fail(path, `${name} behind a step that makes absent columns non-zero (a centering scaler) is not served`);
  const evaluator = options.evaluator(shape.layout === 'dense');
  return {
    output: 'predictions',
    name,
    inputs: [],
    predict: (rows) => ('kind' in rows ? fail(path, `${name} takes a matrix`) : evaluator.predict(rows as SparseRows)),
    describe: () => evaluator.describe(),
  };
}
