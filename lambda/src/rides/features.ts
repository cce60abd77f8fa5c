import type { Ride } from './ride';

/** The model's input row; must match training exactly (tools/synthetic_rides.py, the course). */
export type RideFeatures = {
  PU_DO: string;
  trip_distance: number;
};

/** The feature names, checked against the model's MLflow signature at start. */
export const FEATURE_NAMES: readonly (keyof RideFeatures)[] = ['PU_DO', 'trip_distance'];

/** What prepareFeatures makes, in the words of a message. */
export const PREPARED_FEATURES = 'PU_DO=<PULocationID>_<DOLocationID> one-hots and trip_distance';

/** The value of a PU_DO one-hot: two integer location ids, as a template literal writes them. */
const LOCATION_PAIR = /^(?:0|-?[1-9][0-9]*)_(?:0|-?[1-9][0-9]*)$/;

/**
 * Whether a model's column is one that prepareFeatures can fill: `trip_distance`, or a
 * `PU_DO` one-hot of two integer location ids (`PU_DO=130_205` with sklearn's separator).
 * A column it can never fill (`PULocationID=130`, `PU_DO=130.0_205`) stays 0 for every ride.
 */
export function isPreparedFeature(column: string, separator: string): boolean {
  if (column === 'trip_distance') return true;
  const prefix = `PU_DO${separator}`;
  return column.startsWith(prefix) && LOCATION_PAIR.test(column.slice(prefix.length));
}

export function prepareFeatures(ride: Ride): RideFeatures {
  return { PU_DO: `${ride.PULocationID}_${ride.DOLocationID}`, trip_distance: ride.trip_distance };
}
