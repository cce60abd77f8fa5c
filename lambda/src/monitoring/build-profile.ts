import type { Ride } from '../rides/ride';
import type { MonitoredFeature } from './features';
import { PREDICTION } from './features';
import { categoricalProfile, numericProfile } from './histogram';
import { PROFILE_SCHEMA, type ReferenceProfile } from './profile';

export interface ProfileInput {
  rides: readonly Ride[];
  /** The served model's prediction for each ride, in order. */
  predictions: ArrayLike<number>;
  features: readonly MonitoredFeature[];
  model: ReferenceProfile['model'];
  data: Omit<ReferenceProfile['data'], 'rides'>;
  /** Bins of a numeric feature (deciles: 10). */
  bins?: number;
  /** Categories kept of a categorical feature, the rest counted as "other". */
  top?: number;
  createdAt?: Date;
}

export const DEFAULT_BINS = 10;
export const DEFAULT_TOP_CATEGORIES = 50;

/**
 * The reference profile of rides and the model's predictions on them: what `npm run profile`
 * writes.
 *
 * @example
 * ```typescript
 * const profile = buildReferenceProfile({ rides, predictions: model.predict(rides.map(prepareFeatures)), features: monitoredFeaturesOf(model),
 *   model: { runId, file: 'model.pkl', sha256 }, data: { source: 'green_tripdata_2021-01.parquet', format: 'parquet', rows, rejected } });
 * ```
 */
export function buildReferenceProfile(input: ProfileInput): ReferenceProfile {
  const { rides, predictions, features, bins = DEFAULT_BINS, top = DEFAULT_TOP_CATEGORIES } = input;
  if (rides.length === 0) throw new RangeError('no rides to profile');
  if (predictions.length !== rides.length) throw new RangeError(`${predictions.length} predictions for ${rides.length} rides`);
  return {
    schema: PROFILE_SCHEMA,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    model: input.model,
    data: { ...input.data, rides: rides.length },
    features: features.map((f) =>
      f.kind === 'numeric'
        ? numericProfile(f.name, rides.map((r) => f.value(r)).filter((v) => v !== undefined) as number[], bins)
        : categoricalProfile(
            f.name,
            rides
              .map((r) => f.value(r))
              .filter((v) => v !== undefined)
              .map(String),
            top,
          ),
    ),
    prediction: numericProfile(PREDICTION, predictions, bins),
  };
}
