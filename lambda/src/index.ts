/**
 * The public face of the function's code: what the local stream (local/), the tools (tools/),
 * the sample events (events/) and the benchmark (bench/) use. Everything else in lambda/src is
 * the function's own. The CDK app (lib/) imports only ./names, which holds no runtime code.
 *
 * @example
 * import { parseConfig, startPredictionService } from '../lambda/src';
 * const service = await startPredictionService(parseConfig(process.env));
 * const { predictions, batchItemFailures } = await service.handle(kinesisEvent, context);
 */

// The Lambda entry point, and the start-up it makes once per container.
export { handler } from './handler';
export { startPredictionService, type PredictionService, type ServedModelInfo, type ServiceOptions } from './service';
export type { BatchResult } from './process-batch';
export { ConfigError, parseConfig, type Config, type ModelSettings } from './config';
export { createClients, type AwsClients } from './aws-clients';

// The model: where it is, how it loads, and the checks that it may be served.
export { loadServedModel, type ServedModel } from './served-model';
export { DEFAULT_PICKLE_NAME, loadModel, loadModelAt, MLMODEL_FILE_NAME, ModelLoadError, type LoadedModel } from './model/load-model';
export { describeLocation, openModelSource, type ModelLocation, type ModelSource } from './model/model-source';
export { parseMlmodel, type MlflowModelInfo } from './model/mlmodel';
export { MODEL_FILE_NAME } from './model/format';
export type { PipelineModel } from './model/pipeline';

// Rides in, predictions and dead letters out (the design contract's shapes).
export { decodeRideRecord, MAX_RIDE_EVENT_BYTES } from './rides/decode-record';
export { prepareFeatures, type RideFeatures } from './rides/features';
export type { Ride, RideEvent, RideId } from './rides/ride';
export { MODEL_NAME, type PredictionEvent } from './rides/prediction-event';
export type { DeadLetter } from './delivery/dead-letter';
export { escapeNonPrintable } from './rides/safe-text';

export * from './names';
