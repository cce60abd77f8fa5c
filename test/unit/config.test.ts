import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lambda/src/config';

const production = {
  RUN_ID: 'abc123',
  MODEL_BUCKET: 'mlflow-artifacts',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
};

/** The production settings with the queue in the given region. */
const inRegion = (region: string) => ({ ...production, DEAD_LETTER_QUEUE_URL: `https://sqs.${region}.amazonaws.com/1/dlq` });

describe('parseConfig', () => {
  it('builds the MLflow model path from the bucket, experiment and run', () => {
    const config = parseConfig(production);
    expect(config.model).toEqual({
      location: { kind: 's3', bucket: 'mlflow-artifacts', path: '1/abc123/artifacts/model/' },
      runId: 'abc123',
      locatedByRunId: true,
      artifactsRoot: { kind: 's3', bucket: 'mlflow-artifacts', path: '1/abc123/artifacts/' },
    });
    expect(config.predictionsStreamName).toBe('ride_predictions');
    expect(config.testRun).toBe(false);
    expect(config.endpoints).toEqual({ kinesis: undefined, s3: undefined, sqs: undefined });
  });

  it("reads the model at MODEL_ARTIFACT_PATH of the run's artifacts (the course logs to models_mlflow)", () => {
    const config = parseConfig({ ...production, MODEL_ARTIFACT_PATH: 'models_mlflow' });
    expect(config.model.location).toMatchObject({ path: '1/abc123/artifacts/models_mlflow/' });
    expect(config.model.artifactsRoot).toMatchObject({ path: '1/abc123/artifacts/' });
    expect(parseConfig({ ...production, MODEL_ARTIFACT_PATH: 'nested/model/' }).model.location).toMatchObject({
      path: '1/abc123/artifacts/nested/model/',
    });
  });

  it.each(['..', '../other-run', 'a/../b', 'my model'])('refuses MODEL_ARTIFACT_PATH %j, which is not a path inside the run', (path) => {
    expect(() => parseConfig({ ...production, MODEL_ARTIFACT_PATH: path })).toThrow(
      /MODEL_ARTIFACT_PATH must be a path inside the run's artifacts/,
    );
  });

  it('refuses MODEL_ARTIFACT_PATH with MODEL_LOCATION, which names the model itself', () => {
    expect(() => parseConfig({ ...production, MODEL_LOCATION: 's3://b/m/', MODEL_ARTIFACT_PATH: 'model' })).toThrow(
      /MODEL_ARTIFACT_PATH is for RUN_ID and MODEL_BUCKET/,
    );
  });

  it('takes the experiment id and output stream from the environment', () => {
    const config = parseConfig({ ...production, MLFLOW_EXPERIMENT_ID: '7', PREDICTIONS_STREAM_NAME: 'preds-stg' });
    expect(config.model.location).toMatchObject({ path: '7/abc123/artifacts/model/' });
    expect(config.predictionsStreamName).toBe('preds-stg');
  });

  it('lets MODEL_LOCATION override the path, as an S3 URI or a local path; RUN_ID then labels the model', () => {
    expect(parseConfig({ ...production, MODEL_LOCATION: 's3://other/models/ride/' }).model).toEqual({
      location: { kind: 's3', bucket: 'other', path: 'models/ride/' },
      runId: 'abc123',
      locatedByRunId: false,
    });
    expect(parseConfig({ ...production, MODEL_LOCATION: 's3://other/web/lin_reg.bin' }).model.location).toEqual({
      kind: 's3',
      bucket: 'other',
      path: 'web/lin_reg.bin',
    });
    const local = parseConfig({ MODEL_LOCATION: '/opt/model', TEST_RUN: 'True' });
    expect(local.model).toEqual({ location: { kind: 'local', path: '/opt/model' }, runId: undefined, locatedByRunId: false });
  });

  it.each(['True', 'true', '1'])('reads TEST_RUN=%s as on', (value) => {
    expect(parseConfig({ ...production, TEST_RUN: value }).testRun).toBe(true);
  });

  it.each([
    [{ MODEL_BUCKET: 'b', DEAD_LETTER_QUEUE_URL: 'https://q' }, 'RUN_ID is required'],
    [{ RUN_ID: 'r', DEAD_LETTER_QUEUE_URL: 'https://q' }, 'MODEL_BUCKET is required'],
    [{ ...production, DEAD_LETTER_QUEUE_URL: undefined }, 'DEAD_LETTER_QUEUE_URL is required unless TEST_RUN is on'],
    [{ ...production, TEST_RUN: 'yes' }, 'TEST_RUN must be True, true, 1, False, false or 0, got "yes"'],
    [{ ...production, RUN_ID: 'a/b' }, 'RUN_ID must be a single path segment'],
    [{ ...production, MLFLOW_EXPERIMENT_ID: 'x y' }, 'MLFLOW_EXPERIMENT_ID must be a single path segment'],
    [{ ...production, KINESIS_ENDPOINT_URL: 'localhost:4567' }, 'KINESIS_ENDPOINT_URL must be an http or https URL, got "localhost:4567"'],
    [{ ...production, KINESIS_ENDPOINT_URL: 'http://localhost:99999' }, 'KINESIS_ENDPOINT_URL has port 99999, outside 1-65535'],
    [{ ...production, S3_ENDPOINT_URL: 'http://127.0.0.1:0' }, 'S3_ENDPOINT_URL has port 0, outside 1-65535'],
    [
      { ...production, SQS_ENDPOINT_URL: 'ftp://127.0.0.1:9324' },
      'SQS_ENDPOINT_URL must be an http or https URL, got "ftp://127.0.0.1:9324"',
    ],
    [{ ...production, SQS_ENDPOINT_URL: 'http://[::1' }, 'SQS_ENDPOINT_URL is not a URL: "http://[::1"'],
    [
      { ...production, S3_ENDPOINT_URL: 'http://user:secret@127.0.0.1:4568' },
      'S3_ENDPOINT_URL must not carry credentials: "127.0.0.1:4568"',
    ],
    [{ ...production, KINESIS_ENDPOINT_URL: 'http://127.0.0.1:4567/?a=b' }, 'KINESIS_ENDPOINT_URL must not have a query or fragment'],
    [{ ...production, DEAD_LETTER_QUEUE_URL: 'dlq' }, 'DEAD_LETTER_QUEUE_URL is not a URL: "dlq"'],
    [{ ...production, DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/dlq' }, 'DEAD_LETTER_QUEUE_URL must be an SQS queue URL'],
    [
      { ...production, DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/dlq.fifo' },
      'DEAD_LETTER_QUEUE_URL must name a standard queue, not a FIFO queue',
    ],
    [
      { ...production, PREDICTIONS_STREAM_NAME: 'ride predictions' },
      'PREDICTIONS_STREAM_NAME must be a Kinesis stream name (1 to 128 letters, digits, _ . -), got "ride predictions"',
    ],
    [{ ...production, PREDICTIONS_STREAM_NAME: 'x'.repeat(129) }, 'PREDICTIONS_STREAM_NAME must be a Kinesis stream name'],
    [{ ...production, AWS_REGION: 'us-east1' }, 'AWS_REGION must be an AWS region such as us-east-1 or eu-west-2, got "us-east1"'],
    [{ ...production, AWS_DEFAULT_REGION: 'Europe' }, 'AWS_DEFAULT_REGION must be an AWS region'],
    [
      { ...production, AWS_REGION: 'us-east-1' },
      'DEAD_LETTER_QUEUE_URL is a queue in eu-west-1, but the function runs in us-east-1: use a queue in us-east-1',
    ],
    [
      { ...production, DEAD_LETTER_QUEUE_URL: 'https://eu-west-2.queue.amazonaws.com/1/dlq', AWS_REGION: 'eu-west-1' },
      'DEAD_LETTER_QUEUE_URL is a queue in eu-west-2, but the function runs in eu-west-1',
    ],
    [{ ...production, DEAD_LETTER_BUCKET: 'Dead_Letters' }, 'DEAD_LETTER_BUCKET must be an S3 bucket name'],
    [{ ...production, LOCATION_ID_MAX: '265.5' }, 'LOCATION_ID_MAX must be an integer, got "265.5"'],
    [{ ...production, LOCATION_ID_MIN: '300' }, 'LOCATION_ID_MIN (300) must not be above LOCATION_ID_MAX (265)'],
    [{ ...production, TRIP_DISTANCE_MAX: '0' }, 'TRIP_DISTANCE_MAX must be a number > 0, got "0"'],
    [{ ...production, TRIP_DISTANCE_MAX: 'Infinity' }, 'TRIP_DISTANCE_MAX must be a number > 0, got "Infinity"'],
    [
      { ...production, MODEL_LOCATION: 's3://' },
      'MODEL_LOCATION must be s3://bucket/prefix, s3://bucket/key of a model file, or a local path',
    ],
  ])('fails at start naming the variable: %o', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });

  it("takes a queue in the function's region, or any queue behind a local endpoint", () => {
    expect(parseConfig({ ...production, AWS_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    const cn = 'https://sqs.cn-north-1.amazonaws.com.cn/1/dlq';
    expect(parseConfig({ ...production, DEAD_LETTER_QUEUE_URL: cn, AWS_REGION: 'cn-north-1' }).region).toBe('cn-north-1');
    const local = { ...production, SQS_ENDPOINT_URL: 'http://127.0.0.1:9324', AWS_REGION: 'us-east-1' };
    expect(parseConfig(local).deadLetterQueueUrl).toBe(production.DEAD_LETTER_QUEUE_URL);
  });

  it('reads the ride limits, the dead-letter bucket and the region', () => {
    const config = parseConfig({
      ...inRegion('eu-central-2'),
      LOCATION_ID_MIN: '0',
      LOCATION_ID_MAX: '300',
      TRIP_DISTANCE_MAX: '120.5',
      DEAD_LETTER_BUCKET: 'ride-dead-letters-1',
      AWS_REGION: 'eu-central-2',
    });
    expect(config.rideLimits).toEqual({ locationIdMin: 0, locationIdMax: 300, tripDistanceMax: 120.5 });
    expect(config.deadLetterBucket).toBe('ride-dead-letters-1');
    expect(config.region).toBe('eu-central-2');
    expect(parseConfig(production).rideLimits).toEqual({ locationIdMin: 1, locationIdMax: 265, tripDistanceMax: 200 });
  });

  it('leaves the region to the SDK when neither AWS_REGION nor AWS_DEFAULT_REGION is set', () => {
    expect(parseConfig(production).region).toBeUndefined();
    expect(parseConfig({ ...inRegion('ap-southeast-5'), AWS_DEFAULT_REGION: 'ap-southeast-5' }).region).toBe('ap-southeast-5');
    expect(parseConfig({ ...inRegion('eusc-de-east-1'), AWS_REGION: 'eusc-de-east-1' }).region).toBe('eusc-de-east-1');
    expect(parseConfig({ ...inRegion('us-gov-west-1'), AWS_REGION: 'us-gov-west-1', AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe(
      'us-gov-west-1',
    );
  });

  it('accepts local endpoints, with or without a port, and queue URLs of local servers', () => {
    const config = parseConfig({
      ...production,
      KINESIS_ENDPOINT_URL: 'http://127.0.0.1:4567',
      S3_ENDPOINT_URL: 'http://localhost',
      SQS_ENDPOINT_URL: 'https://[::1]:9324/',
      DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/ride-dead-letters',
    });
    expect(config.endpoints).toEqual({ kinesis: 'http://127.0.0.1:4567', s3: 'http://localhost', sqs: 'https://[::1]:9324/' });
    expect(config.testRun === false && config.deadLetterQueueUrl).toBe('http://127.0.0.1:9324/000000000000/ride-dead-letters');
  });

  it('names every problem in one message', () => {
    expect(() => parseConfig({ TEST_RUN: 'maybe', SQS_ENDPOINT_URL: 'nope' })).toThrow(
      /TEST_RUN must be .*RUN_ID is required.*DEAD_LETTER_QUEUE_URL is required.*SQS_ENDPOINT_URL is not a URL/,
    );
  });

  it('looks for the reference profile beside the model/ directory of the run, unless REFERENCE_LOCATION says where', () => {
    expect(parseConfig(production).reference).toEqual({
      location: { kind: 's3', bucket: 'mlflow-artifacts', path: '1/abc123/artifacts/reference/profile.json' },
      required: false,
    });
    expect(parseConfig({ ...production, MODEL_LOCATION: 's3://other/4/xyz/artifacts/model' }).reference?.location).toEqual({
      kind: 's3',
      bucket: 'other',
      path: '4/xyz/artifacts/reference/profile.json',
    });
    // Not in a model/ directory (MLflow 3's layout, a single file): no default place.
    expect(parseConfig({ ...production, MODEL_LOCATION: 's3://other/4/models/m-1/artifacts/' }).reference).toBeUndefined();
    expect(parseConfig({ ...production, REFERENCE_LOCATION: 's3://refs/ride/profile.json' }).reference).toEqual({
      location: { kind: 's3', bucket: 'refs', path: 'ride/profile.json' },
      required: true,
    });
    expect(parseConfig({ ...production, REFERENCE_LOCATION: 'none' }).reference).toBeUndefined();
    expect(() => parseConfig({ ...production, REFERENCE_LOCATION: 's3://refs/' })).toThrow(/REFERENCE_LOCATION must be s3:\/\/bucket\/key/);
  });

  it('reads the drift windows and thresholds, with their defaults', () => {
    expect(parseConfig(production).drift).toEqual({
      windowRides: 10_000,
      windowSeconds: 900,
      minRides: 1_000,
      thresholds: { psi: 0.2, jensenShannon: 0.1 },
    });
    const drift = parseConfig({
      ...production,
      DRIFT_WINDOW_RIDES: '2000',
      DRIFT_WINDOW_SECONDS: '60',
      DRIFT_MIN_RIDES: '500',
      DRIFT_PSI_THRESHOLD: '0.25',
      DRIFT_JS_THRESHOLD: '0.15',
    }).drift;
    expect(drift).toEqual({ windowRides: 2000, windowSeconds: 60, minRides: 500, thresholds: { psi: 0.25, jensenShannon: 0.15 } });
    expect(() => parseConfig({ ...production, DRIFT_WINDOW_RIDES: '500', DRIFT_JS_THRESHOLD: '2' })).toThrow(
      /DRIFT_MIN_RIDES \(1000\) must not be above DRIFT_WINDOW_RIDES \(500\).*DRIFT_JS_THRESHOLD must be a number > 0 and <= 1/,
    );
  });
});
