/*
 * Names shared by the function, the CDK stack and the local stack: resource names, the
 * service name, the metrics the handler emits, MLflow's run layout and the defaults both
 * sides use. No imports, so that `lib/` can import this module without pulling the handler
 * into the CDK app (s3-uri.ts is the same for S3 locations).
 */

/** Resource names without a stage; the stack appends `-<stage>`, the local stack uses them as they are. */
export const RESOURCE_NAMES = {
  inputStream: 'ride_events',
  outputStream: 'ride_predictions',
  function: 'ride-duration-prediction',
  deadLetterQueue: 'ride-dead-letters',
  failedBatchQueue: 'ride-failed-batches',
  /** The archive's Firehose delivery stream (the local stack names its writer's objects after it). */
  archiveDeliveryStream: 'ride-predictions-archive',
} as const;

/**
 * Where a dead letter too large for SQS is put whole, in the bucket DEAD_LETTER_BUCKET names:
 * `dead-letters/<stream>/<shard>/<sequence number>.json`. The stack grants writing here only.
 */
export const DEAD_LETTER_PREFIX = 'dead-letters/';

/** MLflow's default experiment id in an artifact path (MLFLOW_EXPERIMENT_ID, the stack's experimentId). */
export const DEFAULT_EXPERIMENT_ID = '1';

/**
 * The function's timeout, in seconds, unless the stack is told otherwise (its timeoutSeconds);
 * the deadline a batch works to when no Lambda context gives one (local tools).
 */
export const DEFAULT_TIMEOUT_SECONDS = 60;

/** Where log_model puts the model in a run's artifacts unless told otherwise (MODEL_ARTIFACT_PATH). */
export const DEFAULT_ARTIFACT_PATH = 'model';

/**
 * Whether a path is one MODEL_ARTIFACT_PATH may be: relative, of plain segments (no `.`, `..`,
 * empty segment or whitespace), never out of the run's artifacts. Its slashes at either end
 * are left to the caller.
 */
export const isArtifactPath = (path: string): boolean =>
  path !== '' && path.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && !/\s/.test(s));

/**
 * A run's artifacts, as MLflow lays them out in its artifact store (a bucket, or a local
 * `mlruns/`): `{experiment}/{run}/artifacts/`.
 */
export const mlflowArtifactsPath = (experimentId: string, runId: string): string => `${experimentId}/${runId}/artifacts/`;

/** A model logged by a run, in its artifacts: `{experiment}/{run}/artifacts/{artifact path}/`. */
export const mlflowModelPath = (experimentId: string, runId: string, artifactPath: string = DEFAULT_ARTIFACT_PATH): string =>
  `${mlflowArtifactsPath(experimentId, runId)}${artifactPath}/`;

/**
 * Where the archive of every prediction is written (the stack's Firehose delivery stream, and
 * the local stack's writer): JSON lines, gzipped, under
 * `predictions/year=YYYY/month=MM/day=DD/` (UTC, by arrival), in Firehose's own prefix
 * expressions; records Firehose could not deliver go under `errors/`.
 */
export const ARCHIVE_LAYOUT = {
  prefix: 'predictions/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
  errorPrefix: 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
  /** Firehose names each object `<delivery stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`, with this suffix for gzip. */
  suffix: '.gz',
} as const;

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
  /** Each closed drift window, per feature and for the predictions: PSI, or Jensen-Shannon distance for a category. */
  drift: 'Drift',
  /** Each closed drift window: the mean of its predictions. */
  predictionMean: 'PredictionMean',
  /** Each closed drift window: its predictions' quantiles as EMF values, for CloudWatch's percentiles. */
  prediction: 'Prediction',
  /** Each closed drift window: the rides it counted. */
  driftWindowRides: 'DriftWindowRides',
} as const;

/**
 * The dimensions of `Drift`, besides the service: `Feature` (each monitored feature, and
 * `prediction`) and, in a second dimension set, `Kind` (numeric, categorical or prediction),
 * which the stack's alarms watch, each with its own threshold.
 */
export const DRIFT_DIMENSIONS = { feature: 'Feature', kind: 'Kind' } as const;

/** The drift monitor's defaults: the function's DRIFT_* variables and the stack's drift context keys. */
export const DRIFT_DEFAULTS = {
  /** A shard's window closes at this many rides... */
  windowRides: 10_000,
  /** ...or this many seconds after its first ride, whichever comes first. */
  windowSeconds: 900,
  /** A window closed with fewer rides reports no Drift: its distances would be mostly sampling noise. */
  minRides: 1_000,
  /** PSI above which a numeric feature or the predictions have drifted (the usual "significant shift"). */
  psiThreshold: 0.2,
  /** Jensen-Shannon distance above which a categorical feature has drifted. */
  jsThreshold: 0.1,
} as const;
