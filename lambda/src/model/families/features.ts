/**
 * The columns of a featurizer, matched once at load to the feature recipes of the ride schema
 * (rides/schema.ts), and the per-batch step that fills them: every ride gives at most one
 * entry per recipe used, in the schema's order, so a row's entries are its columns in a fixed
 * order, one per group, and no string is built for a column the model does not have.
 */
import { FEATURE_RECIPES, type FeatureName, type FeatureUse, type Ride } from '../../rides/schema';
import type { SparseRows } from '../sparse-rows';

/** One recipe's columns: a value column, or its one-hots by category. */
export type RecipeColumns =
  | { readonly name: FeatureName; readonly as: 'number'; readonly value: (ride: Ride) => number | undefined; readonly column: number }
  | {
      readonly name: FeatureName;
      readonly as: 'category';
      readonly category: (ride: Ride) => string | undefined;
      readonly columns: ReadonlyMap<string, number>;
    };

/** The schema's order, so entries always come in the same order, whatever the model's column order. */
const ORDER = Object.keys(FEATURE_RECIPES) as FeatureName[];

/** The recipes in the schema's order, each once (as a number or as categories, checked by the caller). */
export function inSchemaOrder(recipes: readonly RecipeColumns[]): RecipeColumns[] {
  return [...recipes].sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
}

export const usesOf = (recipes: readonly RecipeColumns[]): FeatureUse[] => recipes.map(({ name, as }) => ({ name, as }));

/**
 * Fills the matrix rows of a batch of rides: for each ride, each recipe's entry (its value, or
 * a 1 in its category's column; a category the model never saw, or a value the ride does not
 * have, gives no entry, as in sklearn).
 */
export function fillRows(rides: readonly Ride[], recipes: readonly RecipeColumns[]): SparseRows {
  const offsets = new Int32Array(rides.length + 1);
  const indices = new Int32Array(rides.length * recipes.length);
  const values = new Float64Array(rides.length * recipes.length);
  let n = 0;
  for (let r = 0; r < rides.length; r++) {
    const ride = rides[r];
    for (const recipe of recipes) {
      if (recipe.as === 'number') {
        const value = recipe.value(ride);
        // A missing value (an optional field not sent) is no entry, as a dict without the key is to a DictVectorizer.
        if (value === undefined) continue;
        indices[n] = recipe.column;
        values[n++] = value;
      } else {
        const category = recipe.category(ride);
        const column = category === undefined ? undefined : recipe.columns.get(category);
        if (column === undefined) continue;
        indices[n] = column;
        values[n++] = 1;
      }
    }
    offsets[r + 1] = n;
  }
  return { rowCount: rides.length, offsets, indices: indices.subarray(0, n), values: values.subarray(0, n) };
}
