/**
 * The dead-letter queue's own logic, against an in-memory SQS (and S3) behind the real SDK
 * clients: how letters are batched, sized, escaped, cut or offloaded, and what becomes of
 * each answer SQS can give, the ones the local SQS server never gives included (throttling
 * that SQS calls the sender's fault, a call refused whole then failed for the queue, an
 * answer naming an entry never sent). test/emulators/dead-letter-queue.test.ts holds the
 * same queue to the local SQS server and s3rver.
 */
import { type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import {
  BatchRequestTooLong,
  type BatchResultErrorEntry,
  KmsThrottled,
  QueueDoesNotExist,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kinesisEvent } from '../../events/kinesis-event';
import { type DeadLetter, deadLetterFor, messageBody } from '../../lambda/src/delivery/dead-letter';
import { DeadLetterOffload } from '../../lambda/src/delivery/dead-letter-offload';
import { DeadLetterQueue, SQS_MAX_MESSAGE_BYTES } from '../../lambda/src/delivery/dead-letter-queue';
import { Deadline } from '../../lambda/src/delivery/deadline';
import { METRIC_NAMES } from '../../lambda/src/names';
import { logger, metrics } from '../../lambda/src/telemetry';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ride-dead-letters';
const clock = { sleep: async () => {}, random: () => 0, now: () => 0 };
const fast = { policy: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 }, clock };
const deadline = () => Deadline.fromRemainingTime(60_000, 0);
const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

afterEach(() => {
  vi.restoreAllMocks();
});

/** What one SendMessageBatch call answers: a Failed entry per body, or a throw for the call. */
type Answer = (bodies: string[], call: number) => Promise<{ failed?: (BatchResultErrorEntry | undefined)[]; omit?: number[] } | undefined>;

/**
 * SQS in memory, behind a real SQSClient: a middleware answers SendMessageBatch before any
 * request is made. It keeps every call's bodies, the bodies it took, and the most calls in
 * flight; `answer` decides what each call gets (all taken unless it says otherwise).
 */
function memorySqs(answer: Answer = async () => undefined) {
  const sqs = new SQSClient({ region, credentials, maxAttempts: 1 });
  const state = { calls: [] as string[][], taken: [] as string[], inFlight: 0, mostInFlight: 0, sqs };
  sqs.middlewareStack.add(
    () => async (args) => {
      const input = args.input as SendMessageBatchCommandInput;
      const bodies = (input.Entries ?? []).map((e) => e.MessageBody ?? '');
      const call = state.calls.push(bodies) - 1;
      state.mostInFlight = Math.max(state.mostInFlight, ++state.inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const { failed = [], omit = [] } = (await answer(bodies, call)) ?? {};
        const entries = input.Entries ?? [];
        const Failed = entries.flatMap((e, i) => (failed[i] ? [{ ...failed[i], Id: e.Id }] : []));
        const Successful = entries
          .filter((_, i) => !failed[i] && !omit.includes(i))
          .map((e) => ({ Id: e.Id, MessageId: `m-${call}-${e.Id}` }));
        state.taken.push(...entries.filter((_, i) => !failed[i]).map((e) => e.MessageBody ?? ''));
        return { output: { Successful, Failed, $metadata: {} }, response: {} } as never;
      } finally {
        state.inFlight--;
      }
    },
    { step: 'initialize', name: 'memorySqs' },
  );
  return state;
}

/** S3 in memory, behind a real S3Client: PutObject keeps the object, or fails as `fail` says. */
function memoryS3(fail?: Error) {
  const s3 = new S3Client({ region, credentials, maxAttempts: 1 });
  const objects = new Map<string, string>();
  s3.middlewareStack.add(
    () => async (args) => {
      if (fail) throw fail;
      const input = args.input as PutObjectCommandInput;
      objects.set(`${input.Bucket}/${input.Key}`, String(input.Body));
      return { output: { $metadata: {} }, response: {} } as never;
    },
    { step: 'initialize', name: 'memoryS3' },
  );
  return { s3, objects };
}

const queue = (sqs: SQSClient, offload?: DeadLetterOffload) => new DeadLetterQueue({ sqs, queueUrl: QUEUE_URL, offload, ...fast });

/** Dead letters for records of the given payloads, each with its reason. */
function letters(payloads: (object | string)[], reason = (i: number) => `bad record ${i}`): DeadLetter[] {
  return kinesisEvent(payloads).Records.map((record, i) => deadLetterFor(record, reason(i), '2026-01-01T00:00:00.000Z'));
}

const reasons = (bodies: string[]) => bodies.map((b) => (JSON.parse(b) as DeadLetter).reason).sort();
const bytes = (bodies: string[]) => bodies.reduce((sum, b) => sum + Buffer.byteLength(b), 0);
const senderFault = (Code: string): BatchResultErrorEntry => ({ Id: '', Code, SenderFault: true, Message: `${Code} (test)` });

describe('DeadLetterQueue, batching and size', () => {
  it('sends 95 letters in calls of at most 10, ten calls at a time, each letter once', async () => {
    const memory = memorySqs();
    const sent = letters(Array.from({ length: 95 }, (_, i) => ({ i })));
    const outcome = await queue(memory.sqs).send(sent, deadline());
    expect(outcome).toMatchObject({ undelivered: [], lost: [], retried: 0 });
    expect(memory.calls.map((c) => c.length)).toEqual([...Array(9).fill(10), 5]);
    expect(memory.mostInFlight).toBe(10);
    expect(reasons(memory.taken)).toEqual(sent.map((l) => l.reason).sort());
  });

  it('keeps every call within 256 KiB: letters of 100 KB go two to a call', async () => {
    const memory = memorySqs();
    await queue(memory.sqs).send(letters(Array.from({ length: 5 }, () => 'x'.repeat(75_000))), deadline());
    expect(memory.calls.map((c) => c.length)).toEqual([2, 2, 1]);
    for (const call of memory.calls) expect(bytes(call)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
  });

  it('escapes what SQS refuses: every body is printable ASCII and reads back as the letter', async () => {
    const memory = memorySqs();
    const [letter] = letters(['{"ride": {"PULocationID": "\uffff"}}'], () => 'got "\uffff\ud800\u0000\u00e9\u{1F695}"');
    await queue(memory.sqs).send([letter], deadline());
    expect(memory.taken).toHaveLength(1);
    expect(memory.taken[0]).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(memory.taken[0])).toEqual(letter);
  });

  it('cuts the data of a letter too large for a message to exactly what fits, in whole base64 quanta', async () => {
    const memory = memorySqs();
    const [big] = letters(['q'.repeat(400_000)]);
    const outcome = await queue(memory.sqs).send([big], deadline());
    expect(outcome).toMatchObject({ undelivered: [], cut: 1, offloaded: 0 });
    const size = Buffer.byteLength(memory.taken[0]);
    expect(size).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    expect(size).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES - 4);
    const received = JSON.parse(memory.taken[0]) as DeadLetter;
    expect(received.data.length % 4).toBe(0);
    expect(big.data.startsWith(received.data)).toBe(true);
    expect(received.dataNote).toMatch(
      /^no DEAD_LETTER_BUCKET to put the whole letter in; the record's data was \d+ base64 characters, cut/,
    );
  });

  it('with a bucket, puts a letter too large for a message whole in S3 and sends a pointer to it', async () => {
    const memory = memorySqs();
    const { s3, objects } = memoryS3();
    const [big] = letters(['q'.repeat(400_000)]);
    const outcome = await queue(memory.sqs, new DeadLetterOffload({ s3, bucket: 'letters', clock })).send([big], deadline());
    expect(outcome).toMatchObject({ undelivered: [], offloaded: 1, cut: 0 });
    const key = `dead-letters/ride_events/shardId-000000000000/${big.sequenceNumber}.json`;
    expect(JSON.parse(memory.taken[0])).toMatchObject({ data: '', dataTruncated: true, dataLocation: `s3://letters/${key}` });
    expect(objects.get(`letters/${key}`)).toBe(messageBody(big));
  });

  it('cuts instead when the put fails, and says why at WARN', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const memory = memorySqs();
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const [big] = letters(['q'.repeat(400_000)]);
    const outcome = await queue(memory.sqs, new DeadLetterOffload({ s3: memoryS3(denied).s3, bucket: 'letters', clock })).send(
      [big],
      deadline(),
    );
    const why = 'putting the whole letter in s3://letters failed (AccessDenied: Access Denied)';
    expect(outcome).toMatchObject({ undelivered: [], offloaded: 0, cut: 1, offloadError: why });
    expect((JSON.parse(memory.taken[0]) as DeadLetter).dataNote).toMatch(new RegExp(`^${why.replace(/[()]/g, '\\$&')}; `));
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^dead letters not put whole in DEAD_LETTER_BUCKET/), { cut: 1, error: why });
  });
});

describe("DeadLetterQueue, SQS's answers", () => {
  it.each(['RequestThrottled', 'KmsThrottled', 'KMS.ThrottlingException'])(
    'resends entries answered %s even as the sender fault, whole: throttling is no refusal',
    async (code) => {
      const memory = memorySqs(async (bodies, call) => (call === 0 ? { failed: bodies.map(() => senderFault(code)) } : undefined));
      const sent = letters([{ a: 1 }, { b: 2 }]);
      const outcome = await queue(memory.sqs).send(sent, deadline());
      expect(outcome).toMatchObject({ undelivered: [], lost: [], reduced: 0, retried: 2 });
      expect(memory.taken.map((b) => JSON.parse(b))).toEqual(sent);
    },
  );

  it('resends a whole call throttled by KMS', async () => {
    const memory = memorySqs(async (_, call) => {
      if (call === 0) throw new KmsThrottled({ message: 'KMS is throttling (test)', $metadata: { httpStatusCode: 400 } });
      return undefined;
    });
    const outcome = await queue(memory.sqs).send(letters([{ a: 1 }]), deadline());
    expect(outcome).toMatchObject({ undelivered: [], retried: 1, lastError: 'KmsThrottled: KMS is throttling (test)' });
    expect(memory.taken).toHaveLength(1);
  });

  it('splits a call refused whole for a message; a half then failed for the queue is undelivered, not lost', async () => {
    const memory = memorySqs(async (bodies, call) => {
      if (call === 0)
        throw new BatchRequestTooLong({ message: 'Batch requests cannot be longer (test)', $metadata: { httpStatusCode: 400 } });
      if (reasons(bodies).includes('bad record 3'))
        throw new QueueDoesNotExist({ message: 'gone (test)', $metadata: { httpStatusCode: 400 } });
      return undefined;
    });
    const outcome = await queue(memory.sqs).send(letters([{ a: 0 }, { a: 1 }, { a: 2 }, { a: 3 }]), deadline());
    expect(memory.calls.map(reasons)).toEqual([
      ['bad record 0', 'bad record 1', 'bad record 2', 'bad record 3'],
      ['bad record 0', 'bad record 1'],
      ['bad record 2', 'bad record 3'],
    ]);
    expect(outcome.undelivered.map((l) => l.reason)).toEqual(['bad record 2', 'bad record 3']);
    expect(outcome).toMatchObject({ lost: [], reduced: 0, lastError: 'QueueDoesNotExist: gone (test)' });
  });

  it('sends again an entry the answer leaves out, and ignores a Failed entry with an id it never sent', async () => {
    const memory = memorySqs(async (_, call) => (call === 0 ? { omit: [1] } : undefined));
    // Answers Failed for an id that is in no request: the middleware above maps ids, so add one by hand.
    memory.sqs.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as { Failed?: BatchResultErrorEntry[] };
        output.Failed = [...(output.Failed ?? []), { Id: '99', Code: 'InternalError', SenderFault: false }];
        return result;
      },
      { step: 'initialize', priority: 'high', name: 'strayFailure' },
    );
    const outcome = await queue(memory.sqs).send(letters([{ a: 0 }, { a: 1 }]), deadline());
    expect(outcome).toMatchObject({ undelivered: [], retried: 1, lastError: 'no answer for 1 of 2 entries' });
    expect(memory.calls.map(reasons)).toEqual([['bad record 0', 'bad record 1'], ['bad record 1']]);
  });

  it('counts DeadLetters (letters in the queue), and says at ERROR what is still undelivered at the last attempt', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const error = vi.spyOn(logger, 'error');
    const internal = { Id: '', Code: 'InternalError', SenderFault: false, Message: 'try again (test)' };
    const memory = memorySqs(async (bodies) => ({ failed: bodies.map((b) => (b.includes('bad record 1') ? internal : undefined)) }));
    const outcome = await queue(memory.sqs).send(letters([{ a: 0 }, { a: 1 }, { a: 2 }]), deadline());
    expect(outcome.undelivered.map((l) => l.reason)).toEqual(['bad record 1']);
    expect(memory.calls).toHaveLength(fast.policy.maxAttempts);
    expect(addMetric).toHaveBeenCalledWith(METRIC_NAMES.deadLetters, 'Count', 2);
    expect(addMetric.mock.calls.map(([name]) => name)).not.toContain(METRIC_NAMES.deadLettersLost);
    expect(error).toHaveBeenCalledWith('dead letters not delivered; Kinesis will replay their records', {
      count: 1,
      lastError: 'InternalError: try again (test)',
    });
  });

  it('sends a letter SQS refuses whole once more reduced; refused again, it is lost: DeadLettersLost, and the letter at ERROR', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const error = vi.spyOn(logger, 'error');
    const warn = vi.spyOn(logger, 'warn');
    // A queue of 1 KiB messages: the long reason cannot fit even reduced (to 1,000 characters).
    const memory = memorySqs(async (bodies) => ({
      failed: bodies.map((b) => (Buffer.byteLength(b) > 1024 ? senderFault('InvalidParameterValue') : undefined)),
    }));
    const sent = letters(['x'.repeat(2_000), { b: 2 }, { c: 3 }], (i) => (i === 2 ? 'r'.repeat(5_000) : `bad record ${i}`));
    const outcome = await queue(memory.sqs).send(sent, deadline());
    expect(outcome).toMatchObject({ undelivered: [], reduced: 2, retried: 0 });
    expect(outcome.lost.map((l) => l.letter.sequenceNumber)).toEqual([sent[2].sequenceNumber]);
    // The whole batch, then the two refused letters reduced, in one call: nothing sent as it was refused.
    expect(memory.calls.map((c) => c.length)).toEqual([3, 2]);
    const reduced = JSON.parse(memory.taken.find((b) => b.includes('bad record 0')) ?? '{}') as DeadLetter;
    expect(reduced).toMatchObject({ data: '', dataTruncated: true, sequenceNumber: sent[0].sequenceNumber });
    expect(reduced.dataNote).toMatch(/^SQS refused the whole dead letter \(InvalidParameterValue: InvalidParameterValue \(test\)\)/);
    expect(addMetric).toHaveBeenCalledWith(METRIC_NAMES.deadLetters, 'Count', 2);
    expect(addMetric).toHaveBeenCalledWith(METRIC_NAMES.deadLettersLost, 'Count', 1);
    expect(warn).toHaveBeenCalledWith('SQS refused dead letters whole; sent without their data', { count: 2 });
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/^dead letter refused by SQS even without its data/), {
      error: 'InvalidParameterValue: InvalidParameterValue (test)',
      letter: outcome.lost[0].letter,
    });
  });

  it('reaches SQS through SendMessageBatch on the queue it was given', async () => {
    const memory = memorySqs();
    const seen: unknown[] = [];
    memory.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        seen.push([context.commandName, (args.input as SendMessageBatchCommandInput).QueueUrl]);
        return next(args);
      },
      { step: 'initialize', priority: 'high', name: 'seen' },
    );
    await queue(memory.sqs).send(letters([{ a: 1 }]), deadline());
    expect(seen).toEqual([[SendMessageBatchCommand.name, QUEUE_URL]]);
  });
});
