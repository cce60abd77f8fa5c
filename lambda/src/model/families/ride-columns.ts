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
 * What a ride without a value of an optional column becomes: NaN, as pandas holds a missing
 * value, where the model treats NaN as missing exactly as its library does (XGBoost, LightGBM);
 * otherwise the ride is refused, since scikit-learn's predict would fail on NaN or route it by
 * rules this runtime does not evaluate.
 */
export type MissingValues = 'nan' | 'refuse';

/**
 * Numeric columns by name: a dense block, one entry per column per ride, in the columns' order.
 *
 * @example
 * ```typescript
 * const columns = numberColumns(['trip_distance'], 'StandardScaler', 'model.steps[0]', 'refuse');
 * const rows = columns.fill(batch.rides, batch.refusals);
 * ```
 */
export function numberColumns(columns: readonly string[] | undefined, estimator: string, path: string, missing: MissingValues) {
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
        if (value === undefined && missing === 'refuse' && !refusals.has(r)) {
          refusals.set(r, `the ride has no ${recipes[j].name}, which ${estimator} takes as a number (scikit-learn would be given NaN)`);
        }
        values[k] = value ?? Number.NaN;
      }
    }
    return { rowCount: rides.length, offsets, indices, values };
  };
  return { recipes, uses, fill };
}
