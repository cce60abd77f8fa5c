/**
 * The local event source mapping against real kinesalite, with a scripted function in place
 * of the handler: what it invokes, and how it retries, bisects and gives up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, type LocalAws, startLocalAws } from '../../local/aws-setup';
import {
  type DEFAULT_EVENT_SOURCE,
  EventSourceMapping,
  type FailedBatchRecord,
  type KinesisHandler,
} from '../../local/event-source-mapping';
import { waitFor } from '../support/wait-for';

let aws: LocalAws;
let streams = 0;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(() => aws.stop());

/** A fresh one-shard stream holding records "0" .. "n-1". */
async function streamWith(n: number): Promise<string> {
  const name = `events-${++streams}`;
  await createStream(aws.clients.kinesis, name, 1);
  const entries = Array.from({ length: n }, (_, i) => ({ Data: Buffer.from(String(i)), PartitionKey: 'p' }));
  for (let i = 0; i < n; i += 500)
    await aws.clients.kinesis.send(new PutRecordsCommand({ StreamName: name, Records: entries.slice(i, i + 500) }));
  return name;
}

const ids = (event: KinesisStreamEvent) => event.Records.map((r) => Number(Buffer.from(r.kinesis.data, 'base64').toString()));

async function run(n: number, fn: KinesisHandler, settings: Partial<typeof DEFAULT_EVENT_SOURCE> = {}) {
  const calls: number[][] = [];
  const failed: FailedBatchRecord[] = [];
  const seen = new Set<number>();
  const mapping = new EventSourceMapping({
    kinesis: aws.clients.kinesis,
    streamName: await streamWith(n),
    handler: async (event, context) => {
      calls.push(ids(event));
      const response = await fn(event, context);
      const failures = new Set((response as KinesisStreamBatchResponse | undefined)?.batchItemFailures?.map((f) => f.itemIdentifier));
      event.Records.forEach((r, i) => {
        if (!failures.has(r.kinesis.sequenceNumber)) seen.add(ids(event)[i]);
      });
      return response;
    },
    onFailure: async (record) => void failed.push(record),
    settings: { batchingWindowMs: 50, idlePollMs: 20, ...settings },
  });
  await mapping.start();
  await waitFor(
    async () => seen.size + failed.reduce((k, f) => k + f.KinesisBatchInfo.batchSize, 0),
    (k) => k >= n,
  );
  await mapping.stop();
  return { calls, failed, stats: mapping.stats };
}

describe('EventSourceMapping', () => {
  it('invokes with batches of at most batchSize, in shard order', async () => {
    const { calls } = await run(250, async () => {}, { batchSize: 100 });
    expect(calls.every((c) => c.length <= 100)).toBe(true);
    expect(calls.flat()).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it('resumes from the lowest failed record when the function reports batch item failures', async () => {
    let first = true;
    const { calls } = await run(
      10,
      async (event) => {
        if (!first) return { batchItemFailures: [] };
        first = false;
        // Report records 6 and 4: Lambda resumes from the lower one.
        return { batchItemFailures: [6, 4].map((i) => ({ itemIdentifier: event.Records[i].kinesis.sequenceNumber })) };
      },
      { batchSize: 10 },
    );
    expect(calls).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [4, 5, 6, 7, 8, 9],
    ]);
  });

  it('retries the whole batch when a failure names a record that is not in it', async () => {
    let first = true;
    const { calls } = await run(
      4,
      async () => {
        if (!first) return;
        first = false;
        return { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] };
      },
      { batchSize: 4 },
    );
    expect(calls).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
  });

  it('bisects a batch whose invocation throws, down to the record at fault', async () => {
    const { calls, failed, stats } = await run(
      8,
      async (event) => {
        if (ids(event).includes(5)) throw new Error('poison record');
      },
      { batchSize: 8, retryAttempts: 3 },
    );
    expect(calls.slice(0, 4)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
    ]);
    expect(stats.functionErrors).toBeGreaterThanOrEqual(3);
    // Record 5 alone fails until its retries run out; it is reported, the rest delivered.
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
      responseContext: { functionError: 'poison record' },
      KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 1 },
    });
    expect(failed[0].KinesisBatchInfo.startSequenceNumber).toBe(failed[0].KinesisBatchInfo.endSequenceNumber);
  });

  it('without bisection, gives the whole batch up after retryAttempts retries', async () => {
    const { calls, failed } = await run(
      3,
      async () => {
        throw new Error('always');
      },
      { batchSize: 3, retryAttempts: 2, bisectOnError: false },
    );
    expect(calls).toEqual([
      [0, 1, 2],
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(failed.map((f) => f.KinesisBatchInfo.batchSize)).toEqual([3]);
  });

  it("gives each invocation a context whose remaining time counts down the function's timeout", async () => {
    const remaining: number[][] = [];
    await run(
      3,
      async (_, context) => {
        const before = context.getRemainingTimeInMillis();
        await sleep(120);
        remaining.push([before, context.getRemainingTimeInMillis()]);
      },
      { batchSize: 3, functionTimeoutMs: 5_000 },
    );
    expect(remaining).toHaveLength(1);
    const [[before, after]] = remaining;
    expect(before).toBeLessThanOrEqual(5_000);
    expect(before).toBeGreaterThan(4_000);
    expect(before - after).toBeGreaterThanOrEqual(100);
  });

  it('fails an invocation that outlasts the timeout, as Lambda does, and retries it', async () => {
    let invocations = 0;
    const { calls, stats } = await run(
      2,
      async () => {
        if (++invocations === 1) await sleep(400);
      },
      { batchSize: 2, functionTimeoutMs: 150 },
    );
    expect(stats.timeouts).toBe(1);
    expect(stats.functionErrors).toBe(1);
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });

  it('gives up on records older than maxRecordAgeSeconds without invoking', async () => {
    const { calls, failed } = await run(2, async () => {}, { maxRecordAgeSeconds: -1 });
    expect(calls).toEqual([]);
    expect(failed[0].requestContext.condition).toBe('RecordAgeExceeded');
  });
});
