import type { Ride } from '../rides/ride';

/**
 * One input of the model whose distribution is watched: a number binned against the
 * reference's edges, or a category counted against the reference's top values. The service
 * gives the monitor the list at start, so it can follow the served model's own inputs.
 */
export interface MonitoredFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  value(ride: Ride): number | string;
}

/** The name the model's predictions are profiled and reported under (the `Feature` dimension of `Drift`). */
export const PREDICTION = 'prediction';

/**
 * The features the served model is fed today (lambda/src/rides/features.ts): the `PU_DO` pair
 * and `trip_distance`. The one place to change when the model says which inputs it uses.
 *
 * @example
 * ```typescript
 * const features = monitoredFeaturesOf(served.model);
 * features.map((f) => f.value({ PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 })); // ['130_205', 3.66]
 * ```
 */
export function monitoredFeaturesOf(_model?: unknown): MonitoredFeature[] {
  return [
    { name: 'PU_DO', kind: 'categorical', value: (ride) => `${ride.PULocationID}_${ride.DOLocationID}` },
    { name: 'trip_distance', kind: 'numeric', value: (ride) => ride.trip_distance },
  ];
}
