/**
 * The ride as a DataFrame's columns, for the steps a ColumnTransformer hands columns to: each
 * column the name of a feature recipe (rides/schema.ts), its value the recipe's number or
 * category, as the training DataFrame held it.
 */
import { type FeatureName, type FeatureUse, isFeatureName, RECIPES, type Ride } from '../../rides/schema';
import { fail } from '../errors';
import type { SparseRows } from '../sparse-rows';

/** The recipe of a DataFrame column, or a refusal naming the column no recipe fills. */
export function recipeColumn(column: string, path: string): FeatureName {
  if (!isFeatureName(column)) {
    fail(path, `the model was trained on a DataFrame column the handler never prepares: ${JSON.stringify(column)}`);
  }
  return column as FeatureName;
}

/**
 * Numeric columns by name: a dense block, one entry per column per ride, in the columns' order.
 * A ride without a value of a column (an optional field left out) is refused: pandas would hold
 * NaN, on which scikit-learn's predict fails or which its trees and the boosters route by
 * missing-value rules this runtime does not evaluate on a DataFrame's columns.
 *
 * @example
 * ```typescript
 * const columns = numberColumns(['trip_distance'], 'StandardScaler', 'model.steps[0]');
 * const rows = columns.fill(batch.rides, batch.refusals);
 * ```
 */
export function numberColumns(columns: readonly string[] | undefined, estimator: string, path: string) {
  if (columns === undefined)
    fail(path, `${estimator} takes the columns of a DataFrame here, and nothing names them (a ColumnTransformer first)`);
  const recipes = columns.map((column) => {
    const name = recipeColumn(column, path);
    const value = RECIPES[name].number;
    if (value === undefined) fail(path, `${estimator} scales ${column}, which is not a number the handler prepares`);
    return { name, value };
  });
  const uses: FeatureUse[] = recipes.map(({ name }) => ({ name, as: 'number' }));
  const fill = (rides: readonly Ride[], refusals: Map<number, string>): SparseRows => {
    const width = recipes.length;
    const offsets = Int32Array.from({ length: rides.length + 1 }, (_, r) => r * width);
    const indices = new Int32Array(rides.length * width);
    const values = new Float64Array(rides.length * width);
    for (let r = 0, k = 0; r < rides.length; r++) {
      for (let j = 0; j < width; j++, k++) {
        indices[k] = j;
        const value = recipes[j].value(rides[r]);
        if (value === undefined && !refusals.has(r)) {
          refusals.set(r, `the ride has no ${recipes[j].name}, which ${estimator} takes as a number (the DataFrame would hold NaN)`);
        }
        values[k] = value ?? Number.NaN;
      }
    }
    return { rowCount: rides.length, offsets, indices, values };
  };
  return { recipes, uses, fill };
}
