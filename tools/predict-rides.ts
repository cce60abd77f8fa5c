import { type PipelineModel, prepareFeatures, type Ride } from '../lambda/src';

/**
 * The served runtime's predictions for rides, as the function makes them: the one place the
 * profile, the drill and the drift tests call the model from rides.
 */
export function predictRides(model: PipelineModel, rides: readonly Ride[]): Float64Array {
  return Float64Array.from(model.predict(rides.map(prepareFeatures)));
}
