/**
 * The handler end to end against real local AWS: the model from S3 (s3rver), predictions to
 * Kinesis (kinesalite), dead letters to SQS (the local SQS server).
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { COURSE_RIDE, kinesisEvent, RawData } from '../../events/kinesis-event';
import { parseConfig } from '../../lambda/src/config';
import type { DeadLetter } from '../../lambda/src/delivery/dead-letter';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { METRIC_NAMES } from '../../lambda/src/names';
import { startPredictionService } from '../../lambda/src/service';
import { logger, metrics } from '../../lambda/src/telemetry';
import { createQueue, createStream, drainQueue, type LocalAws, readStream, startLocalAws, uploadDirectory } from '../../local/aws-setup';
import { startKinesisFaultProxy } from '../../local/kinesis-fault-proxy';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../../models/demo-model';

const BUCKET = 'mlflow-artifacts';
const OUTPUT = 'ride_predictions';
let aws: LocalAws;
let queueUrl: string;
let env: Record<string, string>;

const sampleEvent = (name: string): KinesisStreamEvent => JSON.parse(readFileSync(`events/${name}`, 'utf8'));
const demoModel = loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR }).then((m) => m.model);

beforeAll(async () => {
  aws = await startLocalAws([BUCKET]);
  await uploadDirectory(aws.clients.s3, DEMO_MODEL_DIR, BUCKET, `1/${DEMO_RUN_ID}/artifacts/model/`);
  await createStream(aws.clients.kinesis, OUTPUT, 2);
  queueUrl = await createQueue(aws.clients.sqs, 'ride-dead-letters');
  env = { ...aws.env, RUN_ID: DEMO_RUN_ID, MODEL_BUCKET: BUCKET, DEAD_LETTER_QUEUE_URL: queueUrl, PREDICTIONS_STREAM_NAME: OUTPUT };
});
afterAll(() => aws.stop());

describe('handler (the Lambda entry point, configured from the environment)', () => {
  it('predicts the mixed sample: good rides downstream, bad ones dead-lettered with reasons', async () => {
    Object.assign(process.env, env);
    const { handler } = await import('../../lambda/src/handler');
    const event = sampleEvent('mixed.json');
    const result = await handler(event, { functionName: 'test', awsRequestId: '1' } as Context);

    const model = await demoModel;
    const goodRides = [
      COURSE_RIDE,
      { ride: { PULocationID: 161, DOLocationID: 162, trip_distance: 0.7 }, ride_id: 301 },
      { ride: { PULocationID: 48, DOLocationID: 68, trip_distance: 2.2 }, ride_id: 305 },
    ];
    const durations = model.predict(goodRides.map((r) => r.ride));
    const expected = goodRides.map((r, i) => ({
      model: 'ride_duration_prediction_model',
      version: DEMO_RUN_ID,
      prediction: { ride_duration: durations[i], ride_id: r.ride_id },
    }));
    expect(result).toEqual({ predictions: expected, batchItemFailures: [] });

    const written = await readStream(aws.clients.kinesis, OUTPUT);
    expect(written.map((r) => r.data)).toEqual(expect.arrayContaining(expected));
    expect(written).toHaveLength(3);
    expect(written.map((r) => r.partitionKey).sort()).toEqual(['256', '301', '305']);

    const letters = (await drainQueue(aws.clients.sqs, queueUrl)) as DeadLetter[];
    const bad = event.Records.filter((r) => !['256', '301', '305'].includes(r.kinesis.partitionKey));
    expect(letters.map((l) => l.sequenceNumber).sort()).toEqual(bad.map((r) => r.kinesis.sequenceNumber).sort());
    const bySequence = new Map(letters.map((l) => [l.sequenceNumber, l]));
    for (const record of bad) {
      expect(bySequence.get(record.kinesis.sequenceNumber)).toMatchObject({
        shardId: 'shardId-000000000000',
        eventSourceARN: record.eventSourceARN,
        partitionKey: record.kinesis.partitionKey,
        data: record.kinesis.data,
        dataTruncated: false,
      });
    }
    // The JSON parser's own words vary with the Node.js version; the project's part is asserted.
    const reasons = letters.map((l) => l.reason.replace(/^(data: not valid JSON \().*\)$/, '$1...)')).sort();
    expect(reasons).toEqual([
      'data: not valid JSON (...)',
      'data: not valid base64',
      'record: expected a JSON object, got an array',
      'ride.DOLocationID: missing',
      'ride.PULocationID: expected an integer, got "130"; ride.trip_distance: expected a finite number >= 0, got -1',
      'ride.trip_distance: expected a finite number >= 0, got "abc"',
    ]);
  });
});

describe('prediction service', () => {
  const start = (overrides: Record<string, string | undefined>) =>
    startPredictionService(parseConfig({ ...env, ...overrides }), {
      clients: aws.clients,
      retryPolicy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });

  it('writes nothing in a test run and lists rejected records with their reasons', async () => {
    const service = await start({ TEST_RUN: 'True', DEAD_LETTER_QUEUE_URL: undefined, PREDICTIONS_STREAM_NAME: 'not-created' });
    const result = await service.handle(sampleEvent('mixed.json'));
    expect(result.predictions).toHaveLength(3);
    expect(result.batchItemFailures).toEqual([]);
    expect(result.rejected).toHaveLength(6);
    expect(result.rejected![0]).toEqual({
      sequenceNumber: '49630081666084879290581185630324770398608704880802529284',
      shardId: 'shardId-000000000000',
      reason: expect.stringMatching(/^data: not valid JSON \(.+\)$/),
    });
    expect(await drainQueue(aws.clients.sqs, queueUrl)).toEqual([]);
  });

  it('predicts a batch of rides in input order', async () => {
    const service = await start({ TEST_RUN: 'true' });
    const result = await service.handle(sampleEvent('batch.json'));
    expect(result.predictions.map((p) => p.prediction.ride_id)).toEqual([256, 257, 258, '2026-11-22T08:15:00Z#a1', 260]);
  });

  it('reports undelivered predictions as batch item failures so Kinesis replays them', async () => {
    const service = await start({ PREDICTIONS_STREAM_NAME: 'missing-stream' });
    const event = kinesisEvent([COURSE_RIDE, 'garbage', { ...COURSE_RIDE, ride_id: 2 }]);
    const result = await service.handle(event);
    const [first, bad, third] = event.Records.map((r) => r.kinesis.sequenceNumber);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: first }, { itemIdentifier: third }]);
    // The bad record is not retried: it went to the dead-letter queue.
    expect(((await drainQueue(aws.clients.sqs, queueUrl)) as DeadLetter[]).map((l) => l.sequenceNumber)).toEqual([bad]);
  });

  it('reports bad records as batch item failures when the dead-letter queue cannot take them', async () => {
    const service = await start({ DEAD_LETTER_QUEUE_URL: `${aws.env.SQS_ENDPOINT_URL}/000000000000/missing-queue` });
    const event = kinesisEvent([COURSE_RIDE, 'garbage']);
    const result = await service.handle(event);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1].kinesis.sequenceNumber }]);
    expect(result.predictions).toHaveLength(1);
  });

  it('dead-letters a ride whose prediction is not a finite number', async () => {
    // Only a limit raised beyond reason lets a distance through that overflows the model.
    const service = await start({ TEST_RUN: 'true', TRIP_DISTANCE_MAX: '1.79e308' });
    const result = await service.handle(kinesisEvent([{ ride: { PULocationID: 1, DOLocationID: 2, trip_distance: 1.7e308 }, ride_id: 9 }]));
    expect(result.predictions).toEqual([]);
    expect(result.rejected![0].reason).toMatch(/^prediction: the model returned -?Infinity for ride/);
  });

  it('cuts the raw data of an oversize record in its dead letter', async () => {
    const service = await start({});
    const event = kinesisEvent(['x'.repeat(200_000)]);
    await service.handle(event);
    const [letter] = (await drainQueue(aws.clients.sqs, queueUrl)) as DeadLetter[];
    expect(letter.reason).toBe('data: 200000 bytes, over the 16384-byte limit for a ride event');
    expect(letter.dataTruncated).toBe(true);
    expect(event.Records[0].kinesis.data.startsWith(letter.data)).toBe(true);
  });

  it("fails at start when the model's MLflow signature wants other features, listing the difference", async () => {
    const prefix = '1/other-features/artifacts/model/';
    await uploadDirectory(aws.clients.s3, DEMO_MODEL_DIR, BUCKET, prefix);
    const mlmodel =
      'flavors:\n  sklearn: {}\nrun_id: other-features\nsignature:\n  inputs: \'[{"name": "PU_DO", "type": "string"}, {"name": "passenger_count", "type": "long"}]\'\n';
    await aws.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}MLmodel`, Body: mlmodel }));
    await expect(start({ RUN_ID: 'other-features' })).rejects.toThrow(
      `cannot serve the model from s3://${BUCKET}/${prefix}: the model's signature names inputs the handler never prepares: passenger_count; the handler prepares PULocationID=<value> one-hots or PULocationID as a number, DOLocationID=<value> one-hots or DOLocationID as a number, PU_DO=<value> one-hots, trip_distance as a number`,
    );
  });

  it('says at start when RUN_ID labels a model from MODEL_LOCATION whose MLmodel is another run', async () => {
    const warn = vi.spyOn(logger, 'warn');
    try {
      const location = `s3://${BUCKET}/1/${DEMO_RUN_ID}/artifacts/model/`;
      const service = await start({ MODEL_LOCATION: location, MODEL_BUCKET: undefined, RUN_ID: 'my-label' });
      expect(service.served.version).toBe('my-label');
      expect(warn).toHaveBeenCalledWith(
        `the predictions carry RUN_ID my-label as their version, but the MLmodel at ${location} is run ${DEMO_RUN_ID}'s`,
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('fails at start with the model location when the run does not exist', async () => {
    await expect(start({ RUN_ID: 'no-such-run' })).rejects.toThrow(`no model at s3://${BUCKET}/1/no-such-run/artifacts/model/`);
  });

  it('dead-letters a poison pill whole and predicts the rides around it, with no batch item failure', async () => {
    const service = await start({});
    const poison = '{"ride": {"PULocationID": "\uffff", "DOLocationID": 1, "trip_distance": 1}, "ride_id": "\\ud800"}';
    const event = kinesisEvent([COURSE_RIDE, poison, { ...COURSE_RIDE, ride_id: 'next' }]);
    event.Records[1].kinesis.partitionKey = 'key-\uffff';
    const result = await service.handle(event);
    expect(result.batchItemFailures).toEqual([]);
    expect(result.predictions.map((p) => p.prediction.ride_id)).toEqual([256, 'next']);
    const [letter] = (await drainQueue(aws.clients.sqs, queueUrl)) as DeadLetter[];
    expect(letter).toMatchObject({
      reason:
        'ride.PULocationID: expected an integer, got "\\uffff"; ride_id: expected a string of whole characters (not a lone UTF-16 surrogate), got "\\ud800"',
      partitionKey: 'key-\uffff',
      data: event.Records[1].kinesis.data,
      dataTruncated: false,
    });
  });

  it('says at ERROR that TEST_RUN is on in a deployed function, and counts the records it acknowledges', async () => {
    const error = vi.spyOn(logger, 'error');
    const addMetric = vi.spyOn(metrics, 'addMetric');
    try {
      const local = await start({ TEST_RUN: 'true' });
      expect(error).not.toHaveBeenCalled();
      const deployed = await start({ TEST_RUN: 'true', AWS_LAMBDA_FUNCTION_NAME: 'ride-duration-prediction-prod' });
      expect(error).toHaveBeenCalledWith(
        expect.stringMatching(
          /^TEST_RUN is on in the deployed function ride-duration-prediction-prod: no prediction and no dead letter is written/,
        ),
      );
      await deployed.handle(kinesisEvent([COURSE_RIDE, 'garbage']));
      expect(addMetric).toHaveBeenCalledWith(METRIC_NAMES.testRunRecords, 'Count', 2);
      addMetric.mockClear();
      await local.handle(kinesisEvent([COURSE_RIDE]));
      expect(addMetric).toHaveBeenCalledWith(METRIC_NAMES.testRunRecords, 'Count', 1);
      addMetric.mockClear();
      await (await start({})).handle(kinesisEvent([COURSE_RIDE]));
      expect(addMetric.mock.calls.map(([name]) => name)).not.toContain(METRIC_NAMES.testRunRecords);
    } finally {
      error.mockRestore();
      addMetric.mockRestore();
    }
  });

  it("retries throttled predictions until the invocation's remaining time, less a margin, runs out, then reports them", async () => {
    const proxy = await startKinesisFaultProxy(aws.env.KINESIS_ENDPOINT_URL, { rejectEntryRate: 1, failCallRate: 0 });
    try {
      // The service's own clients, made from its configuration: the SDK's retries off.
      const service = await startPredictionService(parseConfig({ ...env, KINESIS_ENDPOINT_URL: proxy.endpoint }));
      const event = kinesisEvent([COURSE_RIDE, { ...COURSE_RIDE, ride_id: 2 }, new RawData('bad!')]);
      const started = Date.now();
      const result = await service.handle(event, { getRemainingTimeInMillis: () => 5_000 });
      const elapsed = Date.now() - started;
      expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(event.Records.slice(0, 2).map((r) => r.kinesis.sequenceNumber));
      // A quarter of a short remaining time is kept back: no attempt starts after 3.75 s, none runs past 4.5 s.
      expect(elapsed).toBeLessThan(4_500);
      // One call per attempt: no SDK retries underneath.
      expect(proxy.stats.putRecordsCalls).toBeGreaterThanOrEqual(4);
      expect(proxy.stats.rejectedEntries).toBe(2 * proxy.stats.putRecordsCalls);
      expect(((await drainQueue(aws.clients.sqs, queueUrl)) as DeadLetter[]).map((l) => l.reason)).toEqual(['data: not valid base64']);
    } finally {
      await proxy.stop();
    }
  });
});
