/**
 * Lambda's invoke API of the local stack (local/invoke-api.ts), as the course calls its
 * container's runtime interface emulator: the course's integration-test event posted to
 * /2015-03-31/functions/function/invocations, and Debian's AWS CLI v2 `aws lambda invoke`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COURSE_RIDE, lambdaKinesisRecord } from '../../events/kinesis-event';
import { loadModelAt } from '../../lambda/src/model/load-model';
import type { PredictionEvent } from '../../lambda/src/rides/prediction-event';
import { readStream } from '../../local/aws-setup';
import { LOCAL_CREDENTIALS } from '../../local/environment';
import { startInvokeApi } from '../../local/invoke-api';
import { LOCAL_NAMES, type LocalStack, startLocalStack } from '../../local/local-stack';
import { DEMO_MODEL_DIR } from '../../models/demo-model';
import { waitFor } from '../support/wait-for';

/** Debian's AWS CLI v2 (package awscli); an aws earlier on PATH may be another. */
const AWS_CLI = process.env.AWS_CLI ?? '/usr/bin/aws';
const FREE_PORTS = { kinesis: 0, s3: 0, sqs: 0, invoke: 0 };

/**
 * The course's integration-test event (integraton-test/event.json): one Kinesis record whose
 * data is ride 256 as indented JSON, partition key "1", from the course's stream.
 */
const indentedRide = `{
        "ride": {
            "PULocationID": ${COURSE_RIDE.ride.PULocationID},
            "DOLocationID": ${COURSE_RIDE.ride.DOLocationID},
            "trip_distance": ${COURSE_RIDE.ride.trip_distance}
        }, 
        "ride_id": ${COURSE_RIDE.ride_id}
    }`;
const COURSE_EVENT = {
  Records: [
    lambdaKinesisRecord({
      data: Buffer.from(indentedRide).toString('base64'),
      partitionKey: '1',
      sequenceNumber: '49630081666084879290581185630324770398608704880802529282',
      approximateArrivalTimestamp: 1654161514.132,
      shardId: 'shardId-000000000000',
      streamArn: 'arn:aws:kinesis:eu-west-1:387546586013:stream/ride_events',
    }),
  ],
};

let stack: LocalStack;
let work: string;
let expectedDuration: number;

beforeAll(async () => {
  // The course serves its model as "Test123" (RUN_ID with MODEL_LOCATION); so does this stack.
  stack = await startLocalStack({ ports: FREE_PORTS, model: { path: DEMO_MODEL_DIR, runId: 'Test123' }, eventSource: { idlePollMs: 50 } });
  work = mkdtempSync(join(tmpdir(), 'invoke-api-'));
  const { model } = await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR });
  [expectedDuration] = model.predict([COURSE_RIDE.ride]);
});
afterAll(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const expectedPrediction = (version = 'Test123') => ({
  model: 'ride_duration_prediction_model',
  version,
  prediction: { ride_duration: expectedDuration, ride_id: COURSE_RIDE.ride_id },
});

/** Posts as the course's test does: `requests.post(url, json=event)`. */
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.endpoints.invoke}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const INVOCATIONS = '/2015-03-31/functions/function/invocations';

const predictionsOut = async () =>
  (await readStream(stack.clients.kinesis, LOCAL_NAMES.outputStream)).map((r) => r.data as PredictionEvent);

/** Debian's CLI against the invoke API; its stdout parsed, or the error it printed. */
async function cli(...args: string[]): Promise<{ code: number; stdout: Record<string, unknown>; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      AWS_CLI,
      ['--endpoint-url', stack.endpoints.invoke, '--output', 'json', 'lambda', 'invoke', ...args],
      { encoding: 'utf8', env: { ...process.env, ...LOCAL_CREDENTIALS, AWS_PAGER: '' } },
    );
    return { code: 0, stdout: JSON.parse(stdout), stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: {}, stderr: e.stderr };
  }
}

describe('the invoke API of npm run local', () => {
  it("answers the course's event.json with the prediction, as the emulator does, and puts it on the output stream", async () => {
    const before = (await predictionsOut()).length;
    const response = await post(INVOCATIONS, JSON.stringify(COURSE_EVENT));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-amz-executed-version')).toBe('$LATEST');
    expect(response.headers.get('x-amz-function-error')).toBeNull();
    expect(await response.json()).toEqual({ predictions: [expectedPrediction()], batchItemFailures: [] });
    // TEST_RUN off: the prediction is delivered, as the deployed function's is.
    const written = await waitFor(predictionsOut, (p) => p.length > before);
    expect(written.slice(before)).toEqual([expectedPrediction()]);
  });

  it("takes the stack's function name and ARN as well as the emulator's 'function', and no other", async () => {
    const body = JSON.stringify(COURSE_EVENT);
    for (const name of [LOCAL_NAMES.function, `arn:aws:lambda:us-east-1:000000000000:function:${LOCAL_NAMES.function}`]) {
      const response = await post(`/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, body);
      expect(response.status, name).toBe(200);
      expect(((await response.json()) as { predictions: unknown[] }).predictions).toEqual([expectedPrediction()]);
    }
    const unknown = await post('/2015-03-31/functions/ride-duration-prediction-stg/invocations', body);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await unknown.json()).toEqual({
      Type: 'User',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:ride-duration-prediction-stg',
    });
    expect((await post('/2015-03-31/functions/function/other', body)).status).toBe(404);
  });

  it("answers a handler's error with the runtime's error shape and Lambda's X-Amz-Function-Error", async () => {
    const response = await post(INVOCATIONS, '{"not": "a Kinesis event"}');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amz-function-error')).toBe('Unhandled');
    const error = (await response.json()) as { errorType: string; errorMessage: string; trace: string[] };
    expect(error.errorType).toBe('EventShapeError');
    expect(error.errorMessage).toBe(
      'not a Kinesis stream event: no Records array (a Kinesis event source mapping sends {"Records": [...]}; events/ride.json is one), got an object with keys ["not"]',
    );
    expect(error.trace[0]).toBe(`EventShapeError: ${error.errorMessage}`);
  });

  it("refuses a payload that is not JSON, or over Lambda's 6 MB, as Lambda's API does", async () => {
    const notJson = await post(INVOCATIONS, 'ride 256');
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    const large = await post(INVOCATIONS, JSON.stringify({ Records: [], padding: 'x'.repeat(6 * 1024 * 1024) }));
    expect(large.status).toBe(413);
    expect(large.headers.get('x-amzn-errortype')).toBe('RequestEntityTooLargeException');
  });

  it('runs an Event invocation in the background (202), and a DryRun not at all (204)', async () => {
    const before = (await predictionsOut()).length;
    const dryRun = await post(INVOCATIONS, JSON.stringify(COURSE_EVENT), { 'x-amz-invocation-type': 'DryRun' });
    expect(dryRun.status).toBe(204);
    const event = await post(INVOCATIONS, JSON.stringify(COURSE_EVENT), { 'x-amz-invocation-type': 'Event' });
    expect(event.status).toBe(202);
    expect(await event.text()).toBe('');
    const written = await waitFor(predictionsOut, (p) => p.length > before);
    await sleep(300); // nothing more comes: the dry run invoked nothing
    expect((await predictionsOut()).slice(before)).toEqual(written.slice(before));
    expect(written.slice(before)).toEqual([expectedPrediction()]);
  });

  it("works with Debian's AWS CLI v2: aws lambda invoke --endpoint-url, a result and a function error", async () => {
    const out = join(work, 'out.json');
    const ok = await cli('--function-name', LOCAL_NAMES.function, '--payload', 'fileb://events/ride.json', out);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toEqual({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    const sample = JSON.parse(readFileSync(out, 'utf8'));
    expect(sample).toEqual({ predictions: [expectedPrediction()], batchItemFailures: [] });

    writeFileSync(join(work, 'empty.json'), '{}');
    const failed = await cli('--function-name', LOCAL_NAMES.function, '--payload', `fileb://${join(work, 'empty.json')}`, out);
    expect(failed.stdout).toEqual({ StatusCode: 200, FunctionError: 'Unhandled', ExecutedVersion: '$LATEST' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ errorType: 'EventShapeError' });

    const missing = await cli('--function-name', 'no-such-function', '--payload', 'fileb://events/ride.json', out);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('An error occurred (ResourceNotFoundException) when calling the Invoke operation: Function not found');
  });
});

describe('the invoke API under TEST_RUN', () => {
  let testRun: LocalStack;
  beforeAll(async () => {
    testRun = await startLocalStack({ ports: FREE_PORTS, testRun: 'true', eventSource: { idlePollMs: 50 } });
  });
  afterAll(() => testRun?.stop());

  it('returns the predictions and the rejected records, and writes nothing, as the function does', async () => {
    const bad = lambdaKinesisRecord({
      ...COURSE_EVENT.Records[0].kinesis,
      data: 'not base64!',
      shardId: 'shardId-000000000000',
      streamArn: COURSE_EVENT.Records[0].eventSourceARN,
    });
    const response = await fetch(`${testRun.endpoints.invoke}${INVOCATIONS}`, {
      method: 'POST',
      body: JSON.stringify({ Records: [...COURSE_EVENT.Records, bad] }),
    });
    const result = (await response.json()) as { predictions: PredictionEvent[]; rejected: { reason: string }[] };
    expect(result.predictions).toEqual([expectedPrediction(testRun.served.version)]);
    expect(result.rejected).toHaveLength(1);
    await sleep(300);
    expect(await readStream(testRun.clients.kinesis, LOCAL_NAMES.outputStream)).toEqual([]);
  });
});

describe('the invoke API alone', () => {
  it('fails an invocation that outlasts the timeout as Lambda does, and says nothing more of it', async () => {
    const api = await startInvokeApi({ handler: () => sleep(500).then(() => 'late'), timeoutMs: 50 });
    try {
      const response = await fetch(api.url, { method: 'POST', body: '{}' });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-amz-function-error')).toBe('Unhandled');
      const requestId = response.headers.get('x-amzn-requestid');
      expect(await response.json()).toEqual({
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${requestId} Error: Task timed out after 0.05 seconds`,
      });
    } finally {
      await api.stop();
    }
  });
});
