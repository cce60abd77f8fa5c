/*
 * Names shared by the function, the CDK stack and the local stack: resource names, the
 * service name and the metrics the handler emits. Names only, no runtime code, so that
 * `lib/` can import this module without pulling the handler into the CDK app.
 */

/** Resource names without a stage; the stack appends `-<stage>`, the local stack uses them as they are. */
export const RESOURCE_NAMES = {
  inputStream: 'ride_events',
  outputStream: 'ride_predictions',
  function: 'ride-duration-prediction',
  deadLetterQueue: 'ride-dead-letters',
  failedBatchQueue: 'ride-failed-batches',
} as const;

/**
 * Where a dead letter too large for SQS is put whole, in the bucket DEAD_LETTER_BUCKET names:
 * `dead-letters/<stream>/<shard>/<sequence number>.json`. The stack grants writing here only.
 */
export const DEAD_LETTER_PREFIX = 'dead-letters/';

/** MLflow's default experiment id in an artifact path (MLFLOW_EXPERIMENT_ID, the stack's experimentId). */
export const DEFAULT_EXPERIMENT_ID = '1';

/** Where log_model puts the model in a run's artifacts unless told otherwise (MODEL_ARTIFACT_PATH). */
export const DEFAULT_ARTIFACT_PATH = 'model';

/** A run's artifacts, as MLflow lays them out in its artifact store: `{experiment}/{run}/artifacts/`. */
export const mlflowArtifactsPath = (experimentId: string, runId: string): string => `${experimentId}/${runId}/artifacts/`;

/** Powertools' service name when POWERTOOLS_SERVICE_NAME is not set; the stack sets `<this>-<stage>`. */
export const DEFAULT_SERVICE_NAME = RESOURCE_NAMES.function;

/** The CloudWatch namespace of the handler's metrics (EMF). */
export const METRICS_NAMESPACE = 'RideDurationPrediction';

/** Every metric the handler emits; the stack's dashboard and alarms refer to them by these names. */
export const METRIC_NAMES = {
  recordsIn: 'RecordsIn',
  predictions: 'Predictions',
  rejected: 'Rejected',
  deadLetters: 'DeadLetters',
  deliveryRetries: 'DeliveryRetries',
  undelivered: 'Undelivered',
  /** Dead letters SQS refused even reduced to their reason and identity: logged at ERROR, not retried. */
  deadLettersLost: 'DeadLettersLost',
  /** Records acknowledged without writing anything because TEST_RUN is on; never expected in a deployed function. */
  testRunRecords: 'TestRunRecords',
  modelLoadTime: 'ModelLoadTime',
} as const;
