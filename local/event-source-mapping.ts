/**
 * A local stand-in for Lambda's Kinesis event source mapping: it reads each shard in order
 * and invokes the handler with batches, as Lambda does.
 *
 * - batches of up to batchSize records, sent when full or when the batching window closes;
 * - ReportBatchItemFailures: resume from the lowest failed sequence number; an identifier
 *   that is not in the batch fails the whole batch, as it does on Lambda;
 * - a thrown error: retry, split in two first when bisectOnError is on;
 * - retryAttempts and maxRecordAgeSeconds bound the retries; then a record of the batch
 *   (Lambda's on-failure format) goes to onFailure and the shard moves on;
 * - each invocation gets a context whose getRemainingTimeInMillis() counts down the function
 *   timeout, and one that outlasts it fails as "Task timed out" (its work is not stopped, as
 *   Lambda would stop it: what it still writes lands).
 *
 * Shard splits and merges are not followed: the stream's shards at start are read.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { lambdaKinesisRecord } from '../events/kinesis-event';
import { DEFAULTS } from '../lib/stack-defaults';
import { DEFAULT_FUNCTION_TIMEOUT_MS, invokeWithTimeout, TaskTimedOut } from './invocation';
import { describeShards, type KinesisRecord, ShardReader } from './streams';

export interface EventSourceSettings {
  batchSize: number;
  batchingWindowMs: number;
  bisectOnError: boolean;
  /** Retries after the first invocation of a batch. */
  retryAttempts: number;
  maxRecordAgeSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** How long to wait when a shard has nothing new. */
  idlePollMs: number;
  /** The function's timeout: what the context's remaining time counts down from. */
  functionTimeoutMs: number;
}

/** The stack's mapping and function, as deployed with the default settings. */
export const DEFAULT_EVENT_SOURCE: EventSourceSettings = {
  batchSize: DEFAULTS.batchSize,
  batchingWindowMs: DEFAULTS.batchingWindowSeconds * 1000,
  bisectOnError: true, // the stack turns it on
  retryAttempts: DEFAULTS.retryAttempts,
  maxRecordAgeSeconds: DEFAULTS.maxRecordAgeSeconds,
  startingPosition: DEFAULTS.startingPosition,
  idlePollMs: 200,
  functionTimeoutMs: DEFAULT_FUNCTION_TIMEOUT_MS,
};

// biome-ignore lint/suspicious/noConfusingVoidType: a Lambda handler may return nothing, as Lambda allows.
export type KinesisHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse | void>;

export interface EventSourceMappingOptions {
  kinesis: KinesisClient;
  streamName: string;
  handler: KinesisHandler;
  /** Where a record of a batch given up on goes (Lambda's on-failure destination). */
  onFailure: (record: FailedBatchRecord) => Promise<void>;
  /** Overrides of DEFAULT_EVENT_SOURCE. */
  settings?: Partial<EventSourceSettings>;
  /** The function's name in the contexts. */
  functionName?: string;
}

/** What Lambda sends to an on-failure destination for a Kinesis batch it gave up on. */
export interface FailedBatchRecord {
  requestContext: { condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'; approximateInvokeCount: number };
  responseContext: { functionError?: string };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface EventSourceStats {
  invocations: number;
  functionErrors: number;
  /** Invocations that outlasted the function timeout (counted in functionErrors too). */
  timeouts: number;
  partialFailures: number;
  failedBatches: number;
}

interface Batch {
  records: KinesisRecord[];
  /** Invocations so far. */
  invocations: number;
}

/** How one invocation went: done, resume from an index of the batch, or an error. */
type Outcome = { kind: 'done' } | { kind: 'resume'; from: number } | { kind: 'error'; message: string };

export class EventSourceMapping {
  readonly stats: EventSourceStats = { invocations: 0, functionErrors: 0, timeouts: 0, partialFailures: 0, failedBatches: 0 };
  private readonly settings: EventSourceSettings;
  private stopping = false;
  private shardLoops: Promise<void>[] = [];

  constructor(private readonly options: EventSourceMappingOptions) {
    this.settings = { ...DEFAULT_EVENT_SOURCE, ...options.settings };
  }

  async start(): Promise<void> {
    const { streamArn, shardIds } = await describeShards(this.options.kinesis, this.options.streamName);
    this.shardLoops = shardIds.map((shardId) => this.pollShard(shardId, streamArn));
  }

  /** Finishes the batches in flight, then stops reading. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.shardLoops);
  }

  private async pollShard(shardId: string, streamArn: string): Promise<void> {
    const { batchSize, batchingWindowMs, idlePollMs, startingPosition } = this.settings;
    const reader = new ShardReader(this.options.kinesis, this.options.streamName, shardId, startingPosition);
    const buffer: KinesisRecord[] = [];
    let windowOpenedAt = 0;
    let open = true;
    while (!this.stopping && open) {
      let fetched = 0;
      if (buffer.length < batchSize) {
        const page = await reader.read(Math.min(10_000, batchSize - buffer.length));
        open = page !== undefined;
        fetched = page?.length ?? 0;
        if (fetched > 0 && buffer.length === 0) windowOpenedAt = Date.now();
        buffer.push(...(page ?? []));
      }
      const windowClosed = buffer.length > 0 && Date.now() - windowOpenedAt >= batchingWindowMs;
      if (buffer.length >= batchSize || windowClosed || (!open && buffer.length > 0)) {
        await this.deliver(buffer.splice(0, batchSize), shardId, streamArn);
        windowOpenedAt = Date.now();
      } else if (fetched === 0) {
        await sleep(buffer.length > 0 ? Math.min(idlePollMs, batchingWindowMs) : idlePollMs);
      }
    }
  }

  /** Invokes the handler until the batch is done, retried out, or too old. */
  private async deliver(records: KinesisRecord[], shardId: string, streamArn: string): Promise<void> {
    const pending: Batch[] = [{ records, invocations: 0 }];
    while (pending.length > 0) {
      const batch = pending.shift()!;
      const oldest = batch.records[0].ApproximateArrivalTimestamp!.getTime();
      if (Date.now() - oldest > this.settings.maxRecordAgeSeconds * 1000) {
        await this.giveUp(batch, 'RecordAgeExceeded', shardId, streamArn);
        continue;
      }
      const outcome = await this.invoke(batch, shardId, streamArn);
      if (outcome.kind === 'done') continue;
      if (batch.invocations > this.settings.retryAttempts) {
        await this.giveUp(batch, 'RetryAttemptsExhausted', shardId, streamArn, outcome.kind === 'error' ? outcome.message : undefined);
        continue;
      }
      // A short pause, so that a failing dependency is not hammered.
      await sleep(Math.min(1_000, 50 * 2 ** (batch.invocations - 1)));
      if (outcome.kind === 'resume') {
        pending.unshift({ records: batch.records.slice(outcome.from), invocations: batch.invocations });
      } else if (this.settings.bisectOnError && batch.records.length > 1) {
        const half = Math.ceil(batch.records.length / 2);
        pending.unshift(
          { records: batch.records.slice(0, half), invocations: batch.invocations },
          { records: batch.records.slice(half), invocations: batch.invocations },
        );
      } else {
        pending.unshift(batch);
      }
    }
  }

  private async invoke(batch: Batch, shardId: string, streamArn: string): Promise<Outcome> {
    batch.invocations++;
    this.stats.invocations++;
    const event: KinesisStreamEvent = {
      Records: batch.records.map((r) =>
        lambdaKinesisRecord({
          data: Buffer.from(r.Data!).toString('base64'),
          partitionKey: r.PartitionKey!,
          sequenceNumber: r.SequenceNumber!,
          approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
          shardId,
          streamArn,
        }),
      ),
    };
    let response: Awaited<ReturnType<KinesisHandler>>;
    try {
      response = await this.invokeWithTimeout(event);
    } catch (error) {
      this.stats.functionErrors++;
      return { kind: 'error', message: (error as Error).message };
    }
    const failures = response?.batchItemFailures ?? [];
    if (failures.length === 0) return { kind: 'done' };
    this.stats.partialFailures++;
    const positions = failures.map((f) => batch.records.findIndex((r) => r.SequenceNumber === f.itemIdentifier));
    // An identifier that is not in the batch makes the whole batch a failure, as on Lambda.
    return { kind: 'resume', from: positions.includes(-1) ? 0 : Math.min(...positions) };
  }

  /** The handler with a context that counts down the timeout, failing as Lambda does when it is outlasted. */
  private async invokeWithTimeout(event: KinesisStreamEvent): ReturnType<KinesisHandler> {
    try {
      return await invokeWithTimeout((context) => this.options.handler(event, context), {
        functionName: this.options.functionName,
        timeoutMs: this.settings.functionTimeoutMs,
      });
    } catch (error) {
      if (error instanceof TaskTimedOut) this.stats.timeouts++;
      throw error;
    }
  }

  private async giveUp(
    batch: Batch,
    condition: FailedBatchRecord['requestContext']['condition'],
    shardId: string,
    streamArn: string,
    functionError?: string,
  ) {
    this.stats.failedBatches++;
    const first = batch.records[0];
    const last = batch.records[batch.records.length - 1];
    await this.options.onFailure({
      requestContext: { condition, approximateInvokeCount: batch.invocations },
      responseContext: functionError === undefined ? {} : { functionError },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: first.SequenceNumber!,
        endSequenceNumber: last.SequenceNumber!,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp!.toISOString(),
        approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp!.toISOString(),
        batchSize: batch.records.length,
        streamArn,
      },
    });
  }
}
