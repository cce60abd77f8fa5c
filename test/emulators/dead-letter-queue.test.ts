/**
 * The dead-letter path against the local SQS server (which holds clients to SQS's size,
 * batch and character rules and injects per-entry failures) and s3rver, as the output
 * stream's path is tested against kinesalite and the fault proxy.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kinesisEvent, type RawData } from '../../events/kinesis-event';
import { type DeadLetter, deadLetterFor, messageBody } from '../../lambda/src/delivery/dead-letter';
import { DeadLetterOffload } from '../../lambda/src/delivery/dead-letter-offload';
import { DeadLetterQueue, type DeadLetterQueueOptions, SQS_MAX_MESSAGE_BYTES } from '../../lambda/src/delivery/dead-letter-queue';
import { Deadline } from '../../lambda/src/delivery/deadline';
import { createQueue, drainQueue, type LocalAws, startLocalAws } from '../../local/aws-setup';
import { seededRandom } from '../../local/kinesis-fault-proxy';
import { LocalSqsServer } from '../../local/sqs-server';

const BUCKET = 'dead-letter-data';
const fast = { policy: { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 5 } };
let aws: LocalAws;
let queues = 0;

beforeAll(async () => {
  aws = await startLocalAws([BUCKET]);
});
afterAll(() => aws.stop());
beforeEach(() => {
  aws.sqsServer.faults = undefined;
});

const deadline = () => Deadline.fromRemainingTime(60_000, Date.now());
const freshQueue = (attributes?: Record<string, string>) => createQueue(aws.clients.sqs, `letters-${++queues}`, attributes);
const queue = (queueUrl: string, options: Partial<DeadLetterQueueOptions> = {}) =>
  new DeadLetterQueue({ sqs: aws.clients.sqs, queueUrl, ...fast, ...options });

/** Dead letters for records of the given payloads, each with its reason. */
function letters(payloads: (object | string | RawData)[], reason = (i: number) => `bad record ${i}`, partitionKey?: string): DeadLetter[] {
  return kinesisEvent(payloads).Records.map((record, i) => {
    if (partitionKey !== undefined) record.kinesis.partitionKey = partitionKey;
    return deadLetterFor(record, reason(i), '2026-01-01T00:00:00.000Z');
  });
}

describe('DeadLetterQueue', () => {
  it('sends a poison pill whole: U+FFFF, lone surrogates and controls escaped in a printable-ASCII body that SQS takes, and that reads back as sent', async () => {
    const url = await freshQueue();
    const [letter] = letters(['{"ride": {"PULocationID": "\uffff"}}'], () => 'got "\uffff\ud800\u0000\u00e9"', 'key-\uffff-\udc00');
    const outcome = await queue(url).send([letter], deadline());
    expect(outcome).toMatchObject({ undelivered: [], lost: [], reduced: 0 });
    const [received] = (await drainQueue(aws.clients.sqs, url)) as DeadLetter[];
    expect(received.reason).toBe('got "\\uffff\\ud800\\u0000\\u00e9"');
    expect(received.partitionKey).toBe('key-\uffff-\udc00');
    expect(received.data).toBe(letter.data);
    expect(messageBody(letter)).toMatch(/^[\x20-\x7e]+$/);
  });

  it('sends 1,000 letters in calls of 10, ten calls at a time, each letter once', async () => {
    const url = await freshQueue();
    aws.sqsServer.faults = { failEntryRate: 0, delayMs: 20 };
    const calls = aws.sqsServer.stats.sendCalls;
    aws.sqsServer.stats.maxSendsInFlight = 0;
    const outcome = await queue(url).send(letters(Array.from({ length: 1000 }, (_, i) => ({ i }))), deadline());
    expect(outcome.undelivered).toEqual([]);
    expect(aws.sqsServer.stats.sendCalls - calls).toBe(100);
    expect(aws.sqsServer.stats.maxSendsInFlight).toBe(10);
    const sequenceNumbers = ((await drainQueue(aws.clients.sqs, url)) as DeadLetter[]).map((l) => l.sequenceNumber);
    expect(new Set(sequenceNumbers).size).toBe(1000);
    expect(sequenceNumbers).toHaveLength(1000);
  });

  it('chunks batches by size: letters of 100 KB go two to a call, within 256 KiB', async () => {
    const url = await freshQueue();
    const calls = aws.sqsServer.stats.sendCalls;
    const refused = aws.sqsServer.stats.refused;
    const outcome = await queue(url).send(letters(Array.from({ length: 7 }, () => 'x'.repeat(75_000))), deadline());
    expect(outcome.undelivered).toEqual([]);
    expect(aws.sqsServer.stats.refused).toBe(refused); // no call was too long for SQS
    expect(aws.sqsServer.stats.sendCalls - calls).toBe(4);
    expect(await drainQueue(aws.clients.sqs, url)).toHaveLength(7);
  });

  it('resends the entries SQS answers Failed until every letter is in, once', async () => {
    const url = await freshQueue();
    aws.sqsServer.faults = { failEntryRate: 0.3, failCallRate: 0.1, random: seededRandom(5) };
    const failedBefore = aws.sqsServer.stats.failedEntries;
    const outcome = await queue(url).send(letters(Array.from({ length: 300 }, (_, i) => ({ i }))), deadline());
    expect(outcome.undelivered).toEqual([]);
    expect(aws.sqsServer.stats.failedEntries - failedBefore).toBeGreaterThan(50);
    expect(outcome.retried).toBeGreaterThanOrEqual(aws.sqsServer.stats.failedEntries - failedBefore);
    aws.sqsServer.faults = undefined;
    const received = (await drainQueue(aws.clients.sqs, url)) as DeadLetter[];
    expect(received).toHaveLength(300);
    expect(new Set(received.map((l) => l.sequenceNumber)).size).toBe(300);
  });

  it('reports letters undelivered when the deadline passes with SQS still failing them', async () => {
    const url = await freshQueue();
    aws.sqsServer.faults = { failEntryRate: 1 };
    const outcome = await queue(url).send(letters([{ a: 1 }, { b: 2 }]), Deadline.fromRemainingTime(3_300, Date.now()));
    expect(outcome.undelivered.map((l) => l.reason)).toEqual(['bad record 0', 'bad record 1']);
    expect(outcome.lastError).toMatch(/^InternalError/);
  });

  it('reports every letter undelivered at once when the queue does not exist', async () => {
    const started = Date.now();
    const outcome = await queue(`${aws.env.SQS_ENDPOINT_URL}/000000000000/no-such-queue`).send(letters([{ a: 1 }]), deadline());
    expect(outcome.undelivered).toHaveLength(1);
    expect(outcome.lastError).toMatch(/QueueDoesNotExist/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('sends a letter SQS refuses whole once more without its data, and never blocks the others', async () => {
    // A queue that takes at most 4 KiB; the writer was not told, so SQS refuses the large letter.
    const url = await freshQueue({ MaximumMessageSize: '4096' });
    const sent = letters(['small', 'y'.repeat(6_000), 'also small']);
    const outcome = await queue(url).send(sent, deadline());
    expect(outcome).toMatchObject({ undelivered: [], lost: [], reduced: 1 });
    const received = ((await drainQueue(aws.clients.sqs, url)) as DeadLetter[]).sort((a, b) =>
      a.sequenceNumber.localeCompare(b.sequenceNumber),
    );
    expect(received.map((l) => l.data)).toEqual([sent[0].data, '', sent[2].data]);
    expect(received[1]).toMatchObject({
      reason: 'bad record 1',
      sequenceNumber: sent[1].sequenceNumber,
      shardId: sent[1].shardId,
      dataTruncated: true,
    });
    expect(received[1].dataNote).toMatch(/^SQS refused the whole dead letter \(InvalidParameterValue: .*4096 bytes/);
  });

  it('puts a letter SQS refuses whole in S3 first, where there is a bucket, so that the reduced letter points to its data', async () => {
    const url = await freshQueue({ MaximumMessageSize: '4096' });
    const sent = letters(['small', 'y'.repeat(6_000)]);
    const outcome = await queue(url, { offload: new DeadLetterOffload({ s3: aws.clients.s3, bucket: BUCKET }) }).send(sent, deadline());
    expect(outcome).toMatchObject({ undelivered: [], lost: [], reduced: 1, offloaded: 1, cut: 0 });
    const received = ((await drainQueue(aws.clients.sqs, url)) as DeadLetter[]).find((l) => l.reason === 'bad record 1');
    const key = `dead-letters/ride_events/shardId-000000000000/${sent[1].sequenceNumber}.json`;
    expect(received).toMatchObject({ data: '', dataTruncated: true, dataLocation: `s3://${BUCKET}/${key}` });
    expect(received?.dataNote).toMatch(/^SQS refused the whole dead letter .*; the record's data is left out, and is at dataLocation$/);
    const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual(sent[1]);
  });

  it('sends again an entry that the answer leaves out, as neither taken nor failed', async () => {
    const url = await freshQueue();
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: aws.env.SQS_ENDPOINT_URL, maxAttempts: 1 });
    // A fault-injecting layer: the first answer forgets its first success (no server can be made to).
    let answers = 0;
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as { Successful?: unknown[] };
        if (answers++ === 0) output.Successful = output.Successful?.slice(1);
        return result;
      },
      { step: 'initialize' },
    );
    try {
      const sent = letters([{ a: 1 }, { b: 2 }]);
      const outcome = await new DeadLetterQueue({ sqs, queueUrl: url, ...fast }).send(sent, deadline());
      expect(outcome).toMatchObject({ undelivered: [], retried: 1, lastError: 'no answer for 1 of 2 entries' });
      const received = (await drainQueue(aws.clients.sqs, url)) as DeadLetter[];
      // At least once: the forgotten entry had arrived, and arrives again.
      expect(received.map((l) => l.reason).sort()).toEqual(['bad record 0', 'bad record 0', 'bad record 1']);
    } finally {
      sqs.destroy();
    }
  });

  it('loses a letter SQS refuses even reduced, and says so, without retrying it or blocking the others', async () => {
    const url = await freshQueue({ MaximumMessageSize: '1024' });
    const sent = letters([{ a: 1 }, { b: 2 }], (i) => (i === 0 ? 'r'.repeat(5_000) : 'short'));
    const calls = aws.sqsServer.stats.sendCalls;
    const outcome = await queue(url).send(sent, deadline());
    expect(outcome.undelivered).toEqual([]);
    expect(outcome.lost.map((l) => l.letter.sequenceNumber)).toEqual([sent[0].sequenceNumber]);
    expect(aws.sqsServer.stats.sendCalls - calls).toBe(2); // the batch, then the reduced letter: no retries
    expect(((await drainQueue(aws.clients.sqs, url)) as DeadLetter[]).map((l) => l.reason)).toEqual(['short']);
  });

  it('splits a call SQS refuses whole for its size, and refuses only the letter at fault', async () => {
    // A server whose batches hold 100 KB in all: calls the writer thinks fit are refused whole.
    const strict = new LocalSqsServer({ maxBatchBytes: 100_000 });
    const endpoint = await strict.start();
    const sqs = new SQSClient({ region: 'us-east-1', endpoint, maxAttempts: 1 });
    try {
      const url = await createQueue(sqs, 'strict', { MaximumMessageSize: String(1024 * 1024) });
      const sent = letters(['a'.repeat(30_000), 'b'.repeat(30_000), 'z'.repeat(110_000), 'c'.repeat(30_000), 'd'.repeat(30_000)]);
      const outcome = await new DeadLetterQueue({ sqs, queueUrl: url, ...fast }).send(sent, deadline());
      expect(outcome).toMatchObject({ undelivered: [], lost: [], reduced: 1 });
      const received = (await drainQueue(sqs, url)) as DeadLetter[];
      expect(received.map((l) => [l.reason, l.data === sent[Number(l.reason.slice(-1))].data]).sort()).toEqual([
        ['bad record 0', true],
        ['bad record 1', true],
        ['bad record 2', false],
        ['bad record 3', true],
        ['bad record 4', true],
      ]);
      expect(received.find((l) => l.reason === 'bad record 2')!.dataNote).toMatch(/BatchRequestTooLong/);
    } finally {
      sqs.destroy();
      await strict.stop();
    }
  });

  it('cuts the data of a letter too large for a message to exactly what fits, in whole base64 quanta', async () => {
    const url = await freshQueue();
    const [big] = letters(['q'.repeat(400_000)]);
    const outcome = await queue(url).send([big], deadline());
    expect(outcome).toMatchObject({ undelivered: [], cut: 1, offloaded: 0 });
    const [received] = (await drainQueue(aws.clients.sqs, url)) as DeadLetter[];
    const size = messageBody(received).length;
    expect(size).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    expect(size).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES - 4);
    expect(received.data.length % 4).toBe(0);
    expect(big.data.startsWith(received.data)).toBe(true);
    expect(received).toMatchObject({
      dataTruncated: true,
      dataNote: expect.stringContaining(`was ${big.data.length} base64 characters, cut to fit`),
    });
  });

  it('puts a letter too large for a message whole in S3, and sends a pointer to it', async () => {
    const url = await freshQueue();
    const [big] = letters(['q'.repeat(400_000)]);
    const outcome = await queue(url, { offload: new DeadLetterOffload({ s3: aws.clients.s3, bucket: BUCKET }) }).send([big], deadline());
    expect(outcome).toMatchObject({ undelivered: [], offloaded: 1, cut: 0 });
    const [received] = (await drainQueue(aws.clients.sqs, url)) as DeadLetter[];
    expect(received).toMatchObject({ reason: big.reason, sequenceNumber: big.sequenceNumber, data: '', dataTruncated: true });
    const key = `dead-letters/ride_events/shardId-000000000000/${big.sequenceNumber}.json`;
    expect(received.dataLocation).toBe(`s3://${BUCKET}/${key}`);
    const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual(big);
  });

  it('cuts instead when the offload fails, saying why', async () => {
    const url = await freshQueue();
    const [big] = letters(['q'.repeat(400_000)]);
    const outcome = await queue(url, { offload: new DeadLetterOffload({ s3: aws.clients.s3, bucket: 'no-such-bucket' }) }).send(
      [big],
      deadline(),
    );
    expect(outcome).toMatchObject({
      undelivered: [],
      offloaded: 0,
      cut: 1,
      offloadError: expect.stringMatching(/no-such-bucket.*NoSuchBucket/),
    });
    const [received] = (await drainQueue(aws.clients.sqs, url)) as DeadLetter[];
    expect(received.dataNote).toMatch(/^putting the whole letter in s3:\/\/no-such-bucket failed/);
  });
});
