/** npm run local with your own model: the local stream serves it as a deployed stack would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelAt } from '../../lambda/src/model/load-model';
import type { PredictionEvent } from '../../lambda/src/rides/prediction-event';
import { readStream } from '../../local/aws-setup';
import { LOCAL_NAMES, type LocalStack, startLocalStack } from '../../local/local-stack';
import { waitFor } from '../support/wait-for';

const FIXTURES = 'test/fixtures/pickles-sklearn-1.9.1-numpy-2.4';
const stacks: LocalStack[] = [];
afterAll(() => Promise.all(stacks.map((s) => s.stop())));

async function serve(model: { path: string; runId?: string }) {
  const stack = await startLocalStack({
    ports: { kinesis: 0, s3: 0, sqs: 0 },
    model,
    eventSource: { batchingWindowMs: 100, idlePollMs: 50 },
  });
  stacks.push(stack);
  return stack;
}

async function predictRide(stack: LocalStack) {
  const ride = { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }, ride_id: 256 };
  await stack.clients.kinesis.send(
    new PutRecordsCommand({
      StreamName: LOCAL_NAMES.inputStream,
      Records: [{ Data: Buffer.from(JSON.stringify(ride)), PartitionKey: '256' }],
    }),
  );
  const [written] = await waitFor(
    async () => (await readStream(stack.clients.kinesis, LOCAL_NAMES.outputStream)).map((r) => r.data as PredictionEvent),
    (p) => p.length > 0,
  );
  return written;
}

describe('npm run local --model', () => {
  it('serves an MLflow model directory by its run id, from the MLflow layout in local S3', async () => {
    const path = join(FIXTURES, 'boosting-protocol4');
    const stack = await serve({ path });
    expect(stack.served).toMatchObject({
      file: { uri: `s3://${LOCAL_NAMES.bucket}/1/fixtureboosting4/artifacts/model/model.pkl` },
      format: 'pickle',
      version: 'fixtureboosting4',
    });
    expect(stack.served.model.summary().estimator).toBe('GradientBoostingRegressor');
    const { model } = await loadModelAt({ kind: 'local', path });
    expect(await predictRide(stack)).toEqual({
      model: 'ride_duration_prediction_model',
      version: 'fixtureboosting4',
      prediction: { ride_duration: model.predict([{ PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }])[0], ride_id: 256 },
    });
  });

  it("serves a model in a run's artifacts on disk with the rest of them, under the artifact path it was logged with", async () => {
    // The course's week-3 run with LightGBM: the booster in models_mlflow/, its DictVectorizer apart in preprocessor/.
    const runId = '127b053098eacbf3a25159a463a82497';
    const artifacts = `test/fixtures/coverage-sklearn-1.9.1/lightgbm-run/artifact/1/${runId}/artifacts`;
    const stack = await serve({ path: join(artifacts, 'models_mlflow') });
    expect(stack.served).toMatchObject({
      file: { uri: `s3://${LOCAL_NAMES.bucket}/1/${runId}/artifacts/models_mlflow/model.lgb` },
      version: runId,
    });
    const { model } = await loadModelAt({ kind: 'local', path: artifacts });
    expect((await predictRide(stack)).prediction.ride_duration).toBe(
      model.predict([{ PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }])[0],
    );
  });

  it('serves a single pickle file under the label --run-id gives it', async () => {
    const stack = await serve({ path: join(FIXTURES, 'linear-protocol5', 'model.pkl'), runId: 'my-label' });
    expect(stack.served).toMatchObject({ file: { uri: `s3://${LOCAL_NAMES.bucket}/local-models/model.pkl` }, version: 'my-label' });
    expect((await predictRide(stack)).version).toBe('my-label');
  });

  it('refuses a model with nothing to label its predictions with', async () => {
    await expect(serve({ path: join(FIXTURES, 'linear-protocol5', 'model.pkl') })).rejects.toThrow(
      /^set RUN_ID: the model at s3:\/\/mlflow-artifacts\/local-models\/model\.pkl has no MLflow run id/,
    );
  });

  it('answers an unknown flag with the usage line, not a stack trace', () => {
    const run = spawnSync('node_modules/.bin/tsx', ['local/start.ts', '--modle', 'x'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("npm run local: Unknown option '--modle'");
    expect(run.stderr).toContain(
      'usage: npm run local -- [--model <model directory | model file | s3://bucket/prefix-or-key>] [--run-id <label>] [--shards <n>]',
    );
    expect(run.stderr).not.toContain('    at ');
  });
});
