import { expect } from 'vitest';
import type { Ride } from '../../lambda/src/rides/schema';

/** The largest difference between two lists of predictions, relative to the larger of 1 and the reference. */
export function worstRelativeDifference(predictions: ArrayLike<number>, reference: readonly number[]): number {
  expect(predictions.length).toBe(reference.length);
  return reference.reduce((max, want, i) => Math.max(max, Math.abs(predictions[i] - want) / Math.max(1, Math.abs(want))), 0);
}

/** The ride a course-style feature row was made from: `{"PU_DO": "130_205", "trip_distance": 3.66}` -> zones 130 and 205. */
export function rideOf(features: { PU_DO: string; trip_distance: number }): Ride {
  const [PULocationID, DOLocationID] = features.PU_DO.split('_').map(Number);
  return { PULocationID, DOLocationID, trip_distance: features.trip_distance };
}
