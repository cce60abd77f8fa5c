import type { Ride } from './ride';

/** The model's input row; must match training exactly (tools/synthetic_rides.py, the course). */
export type RideFeatures = {
  PU_DO: string;
  trip_distance: number;
};

export function prepareFeatures(ride: Ride): RideFeatures {
  return { PU_DO: `${ride.PULocationID}_${ride.DOLocationID}`, trip_distance: ride.trip_distance };
}
