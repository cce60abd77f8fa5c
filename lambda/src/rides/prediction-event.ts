import type { RideId } from './ride';

export const MODEL_NAME = 'ride_duration_prediction_model';

/** One per ride on the output stream (docs/design.md); consumers dedupe on (ride_id, version). */
export interface PredictionEvent {
  model: typeof MODEL_NAME;
  version: string;
  prediction: { ride_duration: number; ride_id: RideId };
}

export function predictionEvent(rideId: RideId, rideDuration: number, version: string): PredictionEvent {
  return { model: MODEL_NAME, version, prediction: { ride_duration: rideDuration, ride_id: rideId } };
}
