/**
 * PutRecords delivery against real local Kinesis (kinesalite), and through a fault-injecting
 * proxy for the partial failures and failed calls that kinesalite never produces.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from '../../lambda/src/delivery/deadline';
import { PredictionWriter, type PredictionWriterOptions } from '../../lambda/src/delivery/prediction-writer';
import type { OutputRecord } from '../../lambda/src/delivery/sinks';
import { createStream, type LocalAws, readStream, startLocalAws } from '../../local/aws-setup';
import { seededRandom, startKinesisFaultProxy } from '../../local/kinesis-fault-proxy';

const noWait = { sleep: async () => {}, random: () => 0, now: () => 0 };
/** A minute from now on the writer's clock: real time, or noWait's zero. */
const deadline = (now = Date.now()) => Deadline.fromRemainingTime(60_000, now);
const writer = (options: Omit<PredictionWriterOptions, 'kinesis'> & { kinesis?: KinesisClient }) =>
  new PredictionWriter({ kinesis: aws.clients.kinesis, ...options });
let aws: LocalAws;
let stream = 0;

beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(() => aws.stop());

function records(n: number, offset = 0): OutputRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    sequenceNumber: String(1000 + offset + i),
    partitionKey: String(offset + i),
    data: Buffer.from(JSON.stringify({ prediction: { ride_id: offset + i } })),
  }));
}

async function freshStream(): Promise<string> {
  const name = `predictions-${++stream}`;
  await createStream(aws.clients.kinesis, name, 2);
  return name;
}

const rideIds = (rs: { data: unknown }[]) => rs.map((r) => (r.data as { prediction: { ride_id: number } }).prediction.ride_id);

describe('PredictionWriter', () => {
  it('writes every record once, in calls of at most 500', async () => {
    const name = await freshStream();
    const outcome = await writer({ streamName: name }).write(records(1234), deadline());
    expect(outcome).toMatchObject({ undelivered: [], retried: 0 });
    const written = await readStream(aws.clients.kinesis, name);
    expect(rideIds(written).sort((a, b) => a - b)).toEqual(Array.from({ length: 1234 }, (_, i) => i));
    expect(written.every((r) => r.partitionKey === String(rideIds([r])[0]))).toBe(true);
  });

  it('reports every record undelivered at once when the stream does not exist: no retry can help', async () => {
    const outcome = await writer({ streamName: 'no-such-stream', clock: noWait }).write(records(3), deadline(0));
    expect(outcome.undelivered.map((r) => r.sequenceNumber)).toEqual(['1000', '1001', '1002']);
    expect(outcome.lastError).toMatch(/no-such-stream/);
  });

  it('reports an output record over 1 MiB without sending it', async () => {
    const name = await freshStream();
    const huge = { sequenceNumber: '9', partitionKey: 'big', data: Buffer.alloc(1024 * 1024) };
    const outcome = await writer({ streamName: name }).write([...records(2), huge], deadline());
    expect(outcome.undelivered).toEqual([huge]);
    expect(rideIds(await readStream(aws.clients.kinesis, name)).sort()).toEqual([0, 1]);
  });

  describe('through the fault-injecting proxy', () => {
    async function throughProxy(policy: Parameters<typeof startKinesisFaultProxy>[1]) {
      const proxy = await startKinesisFaultProxy(aws.endpoints.kinesis, policy);
      const client = new KinesisClient({
        region: 'us-east-1',
        endpoint: proxy.endpoint,
        requestHandler: new NodeHttpHandler(),
        maxAttempts: 1,
      });
      return {
        proxy,
        client,
        [Symbol.asyncDispose]: async () => {
          client.destroy();
          await proxy.stop();
        },
      };
    }

    it('resends only throttled entries until all are written, each exactly once', async () => {
      const name = await freshStream();
      await using setup = await throughProxy({ rejectEntryRate: 0.3, failCallRate: 0, random: seededRandom(1) });
      const outcome = await writer({
        kinesis: setup.client,
        streamName: name,
        policy: { maxAttempts: 20, baseDelayMs: 1, maxDelayMs: 1 },
        clock: noWait,
      }).write(records(1200), deadline(0));
      expect(outcome.undelivered).toEqual([]);
      expect(setup.proxy.stats.rejectedEntries).toBeGreaterThan(300);
      expect(outcome.retried).toBe(setup.proxy.stats.rejectedEntries);
      expect(outcome.lastError).toMatch(/^ProvisionedThroughputExceededException/);
      const ids = rideIds(await readStream(aws.clients.kinesis, name));
      expect(ids.length).toBe(1200); // no duplicates: rejected entries never reached the stream
      expect(new Set(ids).size).toBe(1200);
    });

    it('retries whole calls that fail', async () => {
      const name = await freshStream();
      await using setup = await throughProxy({ rejectEntryRate: 0.1, failCallRate: 0.4, random: seededRandom(7) });
      const outcome = await writer({
        kinesis: setup.client,
        streamName: name,
        policy: { maxAttempts: 30, baseDelayMs: 1, maxDelayMs: 1 },
        clock: noWait,
      }).write(records(1500), deadline(0));
      expect(setup.proxy.stats.failedCalls).toBeGreaterThan(0);
      expect(outcome.undelivered).toEqual([]);
      expect(new Set(rideIds(await readStream(aws.clients.kinesis, name))).size).toBe(1500);
    });

    it('returns the entries still rejected when attempts run out, and does not send the rest', async () => {
      const name = await freshStream();
      await using setup = await throughProxy({ rejectEntryRate: 1, failCallRate: 0 });
      const outcome = await writer({
        kinesis: setup.client,
        streamName: name,
        policy: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 },
        clock: noWait,
      }).write(records(600), deadline(0));
      expect(outcome.undelivered.map((r) => r.sequenceNumber)).toEqual(records(600).map((r) => r.sequenceNumber));
      // The first call (500 entries) is tried four times; the second (100) is never sent.
      expect(setup.proxy.stats.putRecordsCalls).toBe(4);
      expect(await readStream(aws.clients.kinesis, name)).toEqual([]);
    });
  });
});
