import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../lambda/src/config';

const production = { RUN_ID: 'abc123', MODEL_BUCKET: 'mlflow-artifacts', DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/dlq' };

describe('parseConfig', () => {
  it('builds the MLflow model path from the bucket, experiment and run', () => {
    const config = parseConfig(production);
    expect(config.model).toEqual({
      location: { kind: 's3', bucket: 'mlflow-artifacts', path: '1/abc123/artifacts/model/' },
      runId: 'abc123',
      locatedByRunId: true,
    });
    expect(config.predictionsStreamName).toBe('ride_predictions');
    expect(config.testRun).toBe(false);
    expect(config.endpoints).toEqual({ kinesis: undefined, s3: undefined, sqs: undefined });
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
    expect(parseConfig({ ...production, MODEL_LOCATION: 's3://other/web/lin_reg.bin' }).model.location).toEqual({ kind: 's3', bucket: 'other', path: 'web/lin_reg.bin' });
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
    [{ ...production, KINESIS_ENDPOINT_URL: 'localhost:4567' }, 'KINESIS_ENDPOINT_URL must be an http(s) URL'],
    [{ ...production, DEAD_LETTER_QUEUE_URL: 'dlq' }, 'DEAD_LETTER_QUEUE_URL must be an SQS queue URL'],
    [{ ...production, MODEL_LOCATION: 's3://' }, 'MODEL_LOCATION must be s3://bucket/prefix, s3://bucket/key of a model file, or a local path'],
  ])('fails at start naming the variable: %o', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });

  it('names every problem in one message', () => {
    expect(() => parseConfig({ TEST_RUN: 'maybe', SQS_ENDPOINT_URL: 'nope' })).toThrow(
      /TEST_RUN must be .*RUN_ID is required.*DEAD_LETTER_QUEUE_URL is required.*SQS_ENDPOINT_URL must be/,
    );
  });
});
