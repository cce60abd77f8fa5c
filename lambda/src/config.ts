import { isAbsolute, resolve } from 'node:path';
import type { ModelLocation } from './model/model-source';
import { RESOURCE_NAMES } from './names';

/** The function's settings (design contract), parsed once at start. */
export interface Config {
  model: ModelSettings;
  predictionsStreamName: string;
  /** Absent only in test runs, which write nothing. */
  deadLetterQueueUrl?: string;
  testRun: boolean;
  region: string;
  endpoints: { kinesis?: string; s3?: string; sqs?: string };
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
}

/** A missing or contradictory setting; the message names every variable at fault. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

const TRUE = ['true', 'True', 'TRUE', '1'];
const FALSE = ['false', 'False', 'FALSE', '0', ''];

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
  const url = (name: string, what = 'an http(s) URL'): string | undefined => {
    const v = value(name);
    if (v !== undefined && !/^https?:\/\/[^/\s]+\S*$/.test(v)) problems.push(`${name} must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  };

  const testRunText = env.TEST_RUN?.trim() ?? '';
  const testRun = TRUE.includes(testRunText);
  if (!testRun && !FALSE.includes(testRunText)) {
    problems.push(`TEST_RUN must be True, true, 1, False, false or 0, got ${JSON.stringify(testRunText)}`);
  }

  const runId = pathSegment('RUN_ID');
  const experimentId = pathSegment('MLFLOW_EXPERIMENT_ID', '1');
  const bucket = value('MODEL_BUCKET');
  const modelLocation = value('MODEL_LOCATION');
  let location: ModelLocation | undefined;
  if (modelLocation !== undefined) {
    location = parseModelLocation(modelLocation, problems);
  } else if (runId === undefined) {
    problems.push('RUN_ID is required: the MLflow run whose model is served (or set MODEL_LOCATION)');
  } else if (bucket === undefined) {
    problems.push(`MODEL_BUCKET is required to find run ${runId}'s model (or set MODEL_LOCATION)`);
  } else {
    // The layout MLflow writes: {experiment}/{run}/artifacts/model/
    location = { kind: 's3', bucket, path: `${experimentId}/${runId}/artifacts/model/` };
  }

  const deadLetterQueueUrl = url('DEAD_LETTER_QUEUE_URL', 'an SQS queue URL');
  if (!testRun && deadLetterQueueUrl === undefined) {
    problems.push('DEAD_LETTER_QUEUE_URL is required unless TEST_RUN is on: bad records must have somewhere to go');
  }

  const endpoints = {
    kinesis: url('KINESIS_ENDPOINT_URL'),
    s3: url('S3_ENDPOINT_URL'),
    sqs: url('SQS_ENDPOINT_URL'),
  };
  if (problems.length > 0 || location === undefined) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return {
    model: { location, runId, locatedByRunId: modelLocation === undefined },
    predictionsStreamName: value('PREDICTIONS_STREAM_NAME') ?? RESOURCE_NAMES.outputStream,
    deadLetterQueueUrl,
    testRun,
    region: value('AWS_REGION') ?? value('AWS_DEFAULT_REGION') ?? 'us-east-1',
    endpoints,
  };
}

/** MODEL_LOCATION: an s3://bucket/key-or-prefix URI, or a local path (a directory or a model file). */
function parseModelLocation(uri: string, problems: string[]): ModelLocation | undefined {
  if (!uri.startsWith('s3://')) return { kind: 'local', path: isAbsolute(uri) ? uri : resolve(uri) };
  const [bucket, ...rest] = uri.slice('s3://'.length).split('/');
  if (!bucket) {
    problems.push(`MODEL_LOCATION must be s3://bucket/prefix, s3://bucket/key of a model file, or a local path, got ${JSON.stringify(uri)}`);
    return undefined;
  }
  return { kind: 's3', bucket, path: rest.join('/').replace(/^\/+/, '') };
}
