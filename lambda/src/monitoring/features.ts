import type { RideModel } from '../model/ride-model';
import type { Ride } from '../rides/ride';
import { RECIPES } from '../rides/schema';

/**
 * One input of the model whose distribution is watched: a number binned against the
 * reference's edges, or a category counted against the reference's top values. The service
 * gives the monitor the list at start, so it can follow the served model's own inputs.
 */
export interface MonitoredFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Undefined: the ride has no value for it (an optional field not sent), and it is not counted. */
  value(ride: Ride): number | string | undefined;
  /** A category's number, equal exactly when `value` is (its recipe's `categoryKey`): counted by it when defined. */
  key?: (ride: Ride) => number | undefined;
}

/** The name the model's predictions are profiled and reported under (the `Feature` dimension of `Drift`). */
export const PREDICTION = 'prediction';

/**
 * The inputs the served model reads (decided at load from its own columns), each by its
 * recipe: a category (`PU_DO`, a zone one-hot) is counted, a number (`trip_distance`) binned.
 *
 * @example
 * ```typescript
 * const features = monitoredFeaturesOf(served.model);
 * features.map((f) => f.value({ PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 })); // ['130_205', 3.66]
 * ```
 */
export function monitoredFeaturesOf(model: Pick<RideModel, 'inputs'>): MonitoredFeature[] {
  return model.inputs.map(({ name, as }) => {
    const recipe = RECIPES[name];
    // The model uses an input only as what its recipe makes.
    const value = as === 'category' ? recipe.category : recipe.number;
    if (value === undefined) throw new TypeError(`${name} has no recipe as a ${as}`);
    return as === 'category' ? { name, kind: 'categorical', value, key: recipe.categoryKey } : { name, kind: 'numeric', value };
  });
}
