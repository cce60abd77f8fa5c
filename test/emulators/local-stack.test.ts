/**
 * The whole stream on this machine (npm run local): records in through the Kinesis API and
 * through Debian's AWS CLI, predictions and dead letters read back.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAD_RECORDS, isReasonFor } from '../../events/bad-records';
import type { DeadLetter } from '../../lambda/src/delivery/dead-letter';
import { loadModelAt } from '../../lambda/src/model/load-model';
import type { PredictionEvent } from '../../lambda/src/rides/prediction-event';
import { drainQueue, readStream } from '../../local/aws-setup';
import { LOCAL_CREDENTIALS } from '../../local/environment';
import { LOCAL_NAMES, type LocalStack, startLocalStack } from '../../local/local-stack';
import { DEMO_MODEL_DIR } from '../../models/demo-model';
import { waitFor } from '../support/wait-for';

/** Debian's AWS CLI v2 (package awscli); an aws earlier on PATH may be another. */
const AWS_CLI = process.env.AWS_CLI ?? '/usr/bin/aws';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ ports: { kinesis: 0, s3: 0, sqs: 0 }, eventSource: { batchingWindowMs: 100, idlePollMs: 50 } });
});
afterAll(() => stack.stop());

const predictions = async () => (await readStream(stack.clients.kinesis, LOCAL_NAMES.outputStream)).map((r) => r.data as PredictionEvent);

describe('the local stack', () => {
  it('predicts every good ride and dead-letters every bad one, with its reason', async () => {
    const rides = Array.from({ length: 60 }, (_, i) => ({
      ride: { PULocationID: 1 + (i % 265), DOLocationID: 265 - (i % 265), trip_distance: i / 4 },
      ride_id: 1000 + i,
    }));
    const bad = BAD_RECORDS.filter((r) => r.bytes !== undefined); // what can travel through Kinesis
    const entries = [
      ...rides.map((r) => ({ Data: Buffer.from(JSON.stringify(r)), PartitionKey: String(r.ride_id) })),
      ...bad.map((r, i) => ({ Data: r.bytes!, PartitionKey: `bad-${i}` })),
    ];
    await stack.clients.kinesis.send(new PutRecordsCommand({ StreamName: LOCAL_NAMES.inputStream, Records: entries }));

    const written = await waitFor(predictions, (p) => p.length >= rides.length);
    const model = await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR }).then((m) => m.model);
    const durations = model.predict(rides.map((r) => r.ride));
    const byId = new Map(written.map((p) => [p.prediction.ride_id, p]));
    expect(byId.size).toBe(rides.length);
    rides.forEach((r, i) => {
      expect(byId.get(r.ride_id)).toEqual({
        model: 'ride_duration_prediction_model',
        version: LOCAL_NAMES.runId,
        prediction: { ride_duration: durations[i], ride_id: r.ride_id },
      });
    });

    const letters: DeadLetter[] = [];
    await waitFor(
      async () => letters.push(...((await drainQueue(stack.clients.sqs, stack.queueUrls.deadLetters)) as DeadLetter[])),
      () => letters.length >= bad.length,
    );
    expect(letters).toHaveLength(bad.length);
    for (const letter of letters) {
      const record = bad[Number(letter.partitionKey.slice('bad-'.length))];
      expect(isReasonFor(record, letter.reason), `${record.kind}: ${letter.reason}`).toBe(true);
      expect(
        Buffer.from(letter.data, 'base64').equals(
          record.bytes!.subarray(0, letter.dataTruncated ? (letter.data.length * 3) / 4 : undefined),
        ),
      ).toBe(true);
    }
    expect(stack.mapping.stats.failedBatches).toBe(0);
  });

  it('predicts a ride put with the AWS CLI exactly as the README says', async () => {
    const before = (await predictions()).length;
    const ride = { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }, ride_id: 256 };
    // Asynchronously: the emulators run in this process and must keep answering.
    const { stdout } = await promisify(execFile)(
      AWS_CLI,
      [
        '--endpoint-url',
        stack.endpoints.kinesis,
        'kinesis',
        'put-record',
        '--stream-name',
        LOCAL_NAMES.inputStream,
        '--partition-key',
        '256',
        '--cli-binary-format',
        'raw-in-base64-out',
        '--data',
        JSON.stringify(ride),
      ],
      { encoding: 'utf8', env: { ...process.env, ...LOCAL_CREDENTIALS } },
    );
    expect(JSON.parse(stdout).SequenceNumber).toMatch(/^\d+$/);
    const written = await waitFor(predictions, (p) => p.length > before);
    expect(written.find((p) => p.prediction.ride_id === 256)).toMatchObject({ version: LOCAL_NAMES.runId, prediction: { ride_id: 256 } });
  });
});
