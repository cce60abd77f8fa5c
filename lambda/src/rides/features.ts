import type { Ride } from './ride';

/** The model's input row; must match training exactly (tools/synthetic_rides.py, the course). */
export type RideFeatures = {
  PU_DO: string;
  trip_distance: number;
};

/** The feature names, checked against the model's MLflow signature at start. */
export const FEATURE_NAMES: readonly (keyof RideFeatures)[] = ['PU_DO', 'trip_distance'];

export function prepareFeatures(ride: Ride): RideFeatures {
  return { PU_DO: `${ride.PULocationID}_${ride.DOLocationID}`, trip_distance: ride.trip_distance };
}
