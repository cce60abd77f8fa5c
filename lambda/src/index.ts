/**
 * The public face of the function's code: what the local stream (local/), the tools (tools/),
 * the sample events (events/) and the benchmark (bench/) use. Everything else in lambda/src is
 * the function's own. The CDK app (lib/) imports only the pure modules: ./names, ./s3-uri and
 * ./monitoring/reference-path, which load nothing of the handler.
 *
 * @example
 * ```typescript
 * import { parseConfig, startPredictionService } from '../lambda/src';
 *
 * const service = await startPredictionService(parseConfig(process.env));
 * const { predictions, batchItemFailures } = await service.handle(kinesisEvent, context);
 * ```
 *
 * @packageDocumentation
 */

export { type AwsClients, createClients } from './aws-clients';
export { type Config, ConfigError, type ModelSettings, parseConfig } from './config';
export type { DeadLetter } from './delivery/dead-letter';
// The Lambda entry point, and the start-up it makes once per container.
export { handler } from './handler';
export { MODEL_FILE_NAME } from './model/format';
export {
  DEFAULT_PICKLE_NAME,
  type LoadedModel,
  loadModel,
  loadModelAt,
  MLMODEL_FILE_NAME,
  ModelLoadError,
  type ServedPart,
} from './model/load-model';
export { type MlflowModelInfo, parseMlmodel } from './model/mlmodel';
export { describeLocation, type ModelLocation, type ModelSource, openModelSource } from './model/model-source';
export type { ModelSummary, Predictions, RideModel } from './model/ride-model';
// Drift: the reference profile, its builder, the monitor's windows.
export {
  buildReferenceProfile,
  type DriftMonitor,
  type MonitoredFeature,
  monitoredFeaturesOf,
  PROFILE_SCHEMA,
  parseProfile,
  type ReferenceProfile,
  type WindowReport,
} from './monitoring';
export * from './names';
export type { BatchResult } from './process-batch';

// Rides in, predictions and dead letters out (the shapes of docs/design.md).
export { decodeRideRecord, MAX_RIDE_EVENT_BYTES } from './rides/decode-record';
export { checkKinesisEvent, EventShapeError } from './rides/kinesis-event';
export { MODEL_NAME, type PredictionEvent } from './rides/prediction-event';
export type { Ride, RideEvent, RideId } from './rides/ride';
export { escapeNonPrintable } from './rides/safe-text';
export { FEATURE_RECIPES, type FeatureName, type FeatureUse, RIDE_FIELDS } from './rides/schema';
export { isBucketName, parseS3Uri, type S3Uri } from './s3-uri';
// The model: where it is, how it loads, and the checks that it may be served.
export { loadServedModel, ModelIdentityError, type ServedModel } from './served-model';
export { type PredictionService, type ServiceOptions, startPredictionService } from './service';
