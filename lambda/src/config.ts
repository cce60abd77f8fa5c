import { isAbsolute, resolve } from 'node:path';
import {
  bucketNameProblem,
  endpointUrlProblem,
  queueRegionProblem,
  queueUrlProblem,
  regionProblem,
  streamNameProblem,
} from './config-checks';
import { RideDurationError } from './errors';
import type { ModelLocation } from './model/model-source';
import type { DriftSettings } from './monitoring/monitor';
import type { ReferenceSetting } from './monitoring/reference';
import { REFERENCE_PATH, referenceBeside } from './monitoring/reference-path';
import {
  DEFAULT_ARTIFACT_PATH,
  DEFAULT_EXPERIMENT_ID,
  DRIFT_DEFAULTS,
  isArtifactPath,
  mlflowArtifactsPath,
  mlflowModelPath,
  RESOURCE_NAMES,
} from './names';
import { DEFAULT_RIDE_LIMITS, type RideLimits } from './rides/schema';
import { parseS3Uri } from './s3-uri';

/** The settings every function has, test run or not. */
interface CommonConfig {
  model: ModelSettings;
  predictionsStreamName: string;
  /** AWS_REGION or AWS_DEFAULT_REGION; unset: the SDK finds it (profile, instance metadata). */
  region?: string;
  endpoints: Endpoints;
  /** What a valid ride is, beyond its shape: the zone range and the longest trip. */
  rideLimits: RideLimits;
  /** DEAD_LETTER_BUCKET: where a dead letter too large for SQS keeps the full record; unset: the data is cut to fit. */
  deadLetterBucket?: string;
  /** AWS_LAMBDA_FUNCTION_NAME: set when running as a deployed function. */
  functionName?: string;
  /** Where the reference profile is (REFERENCE_LOCATION, or beside the model); undefined: drift off. */
  reference?: ReferenceSetting;
  /** DRIFT_*: the windows and the thresholds of drift monitoring. */
  drift: DriftSettings;
}

/**
 * The function's settings (docs/design.md), parsed once at start. A test run writes nothing
 * and needs no queue; otherwise the dead-letter queue is required, and the type says so.
 */
export type Config =
  | (CommonConfig & { testRun: true; deadLetterQueueUrl?: string })
  | (CommonConfig & { testRun: false; deadLetterQueueUrl: string });

/** *_ENDPOINT_URL: local emulators (or any endpoint) instead of AWS's. */
export interface Endpoints {
  kinesis?: string;
  s3?: string;
  sqs?: string;
}

/** Which model is served, and under which run id (the output events' "version"). */
export interface ModelSettings {
  location: ModelLocation;
  /**
   * RUN_ID: the MLflow run whose model is served. When it builds the MLflow path, the
   * MLmodel found there must be that run's; with MODEL_LOCATION it is the label the user
   * chose. Unset: MLmodel's run_id.
   */
  runId?: string;
  /** RUN_ID and MODEL_BUCKET made the path (no MODEL_LOCATION). */
  locatedByRunId: boolean;
  /**
   * With RUN_ID: the run's artifacts (`{experiment}/{run}/artifacts/`), where a model logged
   * without its vectorizer finds it (the course's `preprocessor/preprocessor.b`).
   */
  artifactsRoot?: ModelLocation;
}

/** A missing or contradictory setting; the message names every variable at fault. */
export class ConfigError extends RideDurationError {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

const TRUE = ['true', 'True', 'TRUE', '1'];
const FALSE = ['false', 'False', 'FALSE', '0', ''];

/**
 * Reads the function's environment (docs/design.md, and the settings the README's table
 * adds). Every problem is collected, so that one message names every variable at fault.
 *
 * @example
 * ```typescript
 * import { parseConfig } from '../lambda/src';
 *
 * const config = parseConfig({ RUN_ID: 'e1efc53e9bd149078b0c12aeaa6365df', MODEL_BUCKET: 'mlflow-artifacts', TEST_RUN: 'true' });
 * // config.model.location: { kind: 's3', bucket: 'mlflow-artifacts', path: '1/e1efc53e9bd149078b0c12aeaa6365df/artifacts/model/' }
 *
 * parseConfig({ RUN_ID: 'e1efc53e9bd149078b0c12aeaa6365df', MODEL_BUCKET: 'mlflow-artifacts' });
 * // throws ConfigError: invalid configuration: DEAD_LETTER_QUEUE_URL is required unless TEST_RUN is on: ...
 * ```
 */
export function parseConfig(env: Env): Config {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const pathSegment = (name: string, fallback?: string): string | undefined => {
    const v = value(name) ?? fallback;
    if (v !== undefined && /[/\s]/.test(v)) problems.push(`${name} must be a single path segment, got ${JSON.stringify(v)}`);
    return v;
  };
  /** A value that a check accepts, or undefined (with the problem noted) when it does not. */
  const checked = (name: string, check: (v: string) => string | undefined, fallback?: string): string | undefined => {
    const v = value(name) ?? fallback;
    const problem = v === undefined ? undefined : check(v);
    if (problem !== undefined) problems.push(`${name} ${problem}`);
    return problem === undefined ? v : undefined;
  };
  const number = (name: string, fallback: number, valid: (n: number) => boolean, what: string): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!valid(n)) problems.push(`${name} must be ${what}, got ${JSON.stringify(text)}`);
    return n;
  };

  const testRunText = env.TEST_RUN?.trim() ?? '';
  const testRun = TRUE.includes(testRunText);
  if (!testRun && !FALSE.includes(testRunText)) {
    problems.push(`TEST_RUN must be True, true, 1, False, false or 0, got ${JSON.stringify(testRunText)}`);
  }

  const runId = pathSegment('RUN_ID');
  const experimentId = pathSegment('MLFLOW_EXPERIMENT_ID', DEFAULT_EXPERIMENT_ID);
  const artifactPath = artifactPathOf(value('MODEL_ARTIFACT_PATH') ?? DEFAULT_ARTIFACT_PATH, problems);
  const bucket = value('MODEL_BUCKET');
  const modelLocation = value('MODEL_LOCATION');
  let location: ModelLocation | undefined;
  let artifactsRoot: ModelLocation | undefined;
  if (modelLocation !== undefined) {
    if (value('MODEL_ARTIFACT_PATH') !== undefined)
      problems.push('MODEL_ARTIFACT_PATH is for RUN_ID and MODEL_BUCKET; MODEL_LOCATION names the model itself');
    location = parseModelLocation(modelLocation, problems);
  } else if (runId === undefined) {
    problems.push('RUN_ID is required: the MLflow run whose model is served (or set MODEL_LOCATION)');
  } else if (bucket === undefined) {
    problems.push(`MODEL_BUCKET is required to find run ${runId}'s model (or set MODEL_LOCATION)`);
  } else {
    // The layout MLflow writes: {experiment}/{run}/artifacts/{artifact path}/
    artifactsRoot = { kind: 's3', bucket, path: mlflowArtifactsPath(experimentId ?? DEFAULT_EXPERIMENT_ID, runId) };
    location = { kind: 's3', bucket, path: mlflowModelPath(experimentId ?? DEFAULT_EXPERIMENT_ID, runId, artifactPath) };
  }

  const deadLetterQueueUrl = checked('DEAD_LETTER_QUEUE_URL', queueUrlProblem);
  if (!testRun && value('DEAD_LETTER_QUEUE_URL') === undefined) {
    problems.push('DEAD_LETTER_QUEUE_URL is required unless TEST_RUN is on: bad records must have somewhere to go');
  }
  const predictionsStreamName = checked('PREDICTIONS_STREAM_NAME', streamNameProblem, RESOURCE_NAMES.outputStream);
  const region = checked('AWS_REGION', regionProblem) ?? checked('AWS_DEFAULT_REGION', regionProblem);
  const endpoints: Endpoints = {
    kinesis: checked('KINESIS_ENDPOINT_URL', endpointUrlProblem),
    s3: checked('S3_ENDPOINT_URL', endpointUrlProblem),
    sqs: checked('SQS_ENDPOINT_URL', endpointUrlProblem),
  };
  const queueRegion = deadLetterQueueUrl && endpoints.sqs === undefined ? queueRegionProblem(deadLetterQueueUrl, region) : undefined;
  if (queueRegion !== undefined) problems.push(`DEAD_LETTER_QUEUE_URL ${queueRegion}`);
  const deadLetterBucket = checked('DEAD_LETTER_BUCKET', bucketNameProblem);

  const isId = (n: number) => Number.isSafeInteger(n);
  const rideLimits: RideLimits = {
    locationIdMin: number('LOCATION_ID_MIN', DEFAULT_RIDE_LIMITS.locationIdMin, isId, 'an integer'),
    locationIdMax: number('LOCATION_ID_MAX', DEFAULT_RIDE_LIMITS.locationIdMax, isId, 'an integer'),
    tripDistanceMax: number('TRIP_DISTANCE_MAX', DEFAULT_RIDE_LIMITS.tripDistanceMax, (n) => Number.isFinite(n) && n > 0, 'a number > 0'),
  };
  if (rideLimits.locationIdMin > rideLimits.locationIdMax) {
    problems.push(`LOCATION_ID_MIN (${rideLimits.locationIdMin}) must not be above LOCATION_ID_MAX (${rideLimits.locationIdMax})`);
  }

  const drift = parseDriftSettings(number, problems);
  const reference = parseReferenceSetting(value('REFERENCE_LOCATION'), location, artifactsRoot, problems);

  // A test run writes nothing; otherwise the queue is required (noted above when missing).
  const writes = testRun ? { testRun, deadLetterQueueUrl } : deadLetterQueueUrl === undefined ? undefined : { testRun, deadLetterQueueUrl };
  if (problems.length > 0 || location === undefined || predictionsStreamName === undefined || writes === undefined) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const common: CommonConfig = {
    model: { location, runId, locatedByRunId: modelLocation === undefined, artifactsRoot },
    predictionsStreamName,
    region,
    endpoints,
    rideLimits,
    deadLetterBucket,
    functionName: value('AWS_LAMBDA_FUNCTION_NAME'),
    reference,
    drift,
  };
  return { ...common, ...writes };
}

/**
 * MODEL_ARTIFACT_PATH: where in the run's artifacts the model was logged (`artifact_path` of
 * log_model): `model` by default, `models_mlflow` in the course's weeks 2-3. A relative path
 * of plain segments, never out of the run.
 */
function artifactPathOf(path: string, problems: string[]): string | undefined {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (!isArtifactPath(trimmed)) {
    problems.push(
      `MODEL_ARTIFACT_PATH must be a path inside the run's artifacts, such as "model" or "models_mlflow", got ${JSON.stringify(path)}`,
    );
    return undefined;
  }
  return trimmed;
}

type NumberSetting = (name: string, fallback: number, valid: (n: number) => boolean, what: string) => number;

/** DRIFT_WINDOW_RIDES, DRIFT_WINDOW_SECONDS, DRIFT_MIN_RIDES, DRIFT_PSI_THRESHOLD, DRIFT_JS_THRESHOLD. */
function parseDriftSettings(number: NumberSetting, problems: string[]): DriftSettings {
  const integer = (min: number, max: number) => (n: number) => Number.isSafeInteger(n) && n >= min && n <= max;
  const positive = (n: number) => Number.isFinite(n) && n > 0;
  const windowRides = number('DRIFT_WINDOW_RIDES', DRIFT_DEFAULTS.windowRides, integer(1, 1_000_000), 'an integer from 1 to 1000000');
  const minRides = number('DRIFT_MIN_RIDES', DRIFT_DEFAULTS.minRides, integer(1, 1_000_000), 'an integer from 1 to 1000000');
  if (minRides > windowRides && Number.isSafeInteger(windowRides)) {
    problems.push(`DRIFT_MIN_RIDES (${minRides}) must not be above DRIFT_WINDOW_RIDES (${windowRides}): no window would report Drift`);
  }
  return {
    windowRides,
    windowSeconds: number('DRIFT_WINDOW_SECONDS', DRIFT_DEFAULTS.windowSeconds, integer(1, 86_400), 'an integer from 1 to 86400'),
    minRides,
    thresholds: {
      psi: number('DRIFT_PSI_THRESHOLD', DRIFT_DEFAULTS.psiThreshold, positive, 'a number > 0'),
      jensenShannon: number('DRIFT_JS_THRESHOLD', DRIFT_DEFAULTS.jsThreshold, (n) => positive(n) && n <= 1, 'a number > 0 and <= 1'),
    },
  };
}

/**
 * REFERENCE_LOCATION: an s3:// URI or a local path, which must then hold a profile; `none`
 * turns drift off. Unset: `reference/profile.json` in the run's artifacts (by RUN_ID), or beside
 * the model's `model/` directory (MODEL_LOCATION), if it is there.
 */
function parseReferenceSetting(
  text: string | undefined,
  model: ModelLocation | undefined,
  artifactsRoot: ModelLocation | undefined,
  problems: string[],
): ReferenceSetting | undefined {
  if (text === 'none') return undefined;
  if (text !== undefined) {
    if (!text.startsWith('s3://')) return { location: { kind: 'local', path: isAbsolute(text) ? text : resolve(text) }, required: true };
    const parsed = parseS3Uri(text);
    if (parsed === undefined || parsed.key === '' || parsed.key.endsWith('/')) {
      problems.push(`REFERENCE_LOCATION must be s3://bucket/key of a profile, a local file or none, got ${JSON.stringify(text)}`);
      return undefined;
    }
    return { location: { kind: 's3', bucket: parsed.bucket, path: parsed.key }, required: true };
  }
  // A run's artifacts hold it at reference/profile.json, whatever the model's artifact path.
  const beside = artifactsRoot ? { ...artifactsRoot, path: `${artifactsRoot.path}${REFERENCE_PATH}` } : model && referenceBeside(model);
  return beside && { location: beside, required: false };
}

/**
 * MODEL_LOCATION: an s3://bucket/key-or-prefix URI (parseS3Uri, the stack's rule too), its
 * key's leading slashes dropped, or a local path (a directory or a model file).
 */
function parseModelLocation(uri: string, problems: string[]): ModelLocation | undefined {
  if (!uri.startsWith('s3://')) return { kind: 'local', path: isAbsolute(uri) ? uri : resolve(uri) };
  const parsed = parseS3Uri(uri);
  if (parsed === undefined) {
    problems.push(
      `MODEL_LOCATION must be s3://bucket/prefix, s3://bucket/key of a model file, or a local path, got ${JSON.stringify(uri)}`,
    );
    return undefined;
  }
  return { kind: 's3', bucket: parsed.bucket, path: parsed.key.replace(/^\/+/, '') };
}
