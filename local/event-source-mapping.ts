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
 * - tumbling windows (TumblingWindowInSeconds, off unless set): each shard's records fall in
 *   windows by arrival time, a batch never spans two; each invocation gets the window's
 *   `state` and must return one (a response without it is a failed invocation); a failed
 *   invocation's retry gets the state of the last success; a state over 1 MB ends the window
 *   early; at the window's end (a record of a later one, the shard's end, or the time) an
 *   invocation with no records and `isFinalInvokeForWindow` gets the final state, retried
 *   until it succeeds, the shard waiting;
 * - resharding: a shard's children (after a split or a merge) are read once the shard, and
 *   any other parent of theirs, has been read to its end, from their start, as Lambda does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import { lambdaKinesisRecord } from '../events/kinesis-event';
import { DEFAULTS } from '../lib/stack-defaults';
import { DEFAULT_FUNCTION_TIMEOUT_MS, invokeWithTimeout, TaskTimedOut } from './invocation';
import { type KinesisRecord, ShardReader } from './streams';

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
  /** TumblingWindowInSeconds: 0 for none. */
  tumblingWindowSeconds: number;
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
  tumblingWindowSeconds: 0, // the stack sets none
};

export type KinesisHandler = (
  event: KinesisStreamEvent | KinesisStreamTumblingWindowEvent,
  context: Context,
  // biome-ignore lint/suspicious/noConfusingVoidType: a Lambda handler may return nothing, as Lambda allows.
) => Promise<(Partial<KinesisStreamBatchResponse> & { state?: TumblingState }) | void>;

/** A tumbling window's state, as the handler returns it. */
export type TumblingState = Record<string, unknown>;

/** A shard's tumbling window: its bounds by arrival time (ms), and the state of the last successful invocation. */
interface TumblingWindow {
  start: number;
  end: number;
  state: TumblingState;
}

/** Lambda ends a window early when its state grows past 1 MB. */
const MAX_STATE_BYTES = 1024 * 1024;

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
  /** Tumbling windows only: the final invocations of windows, and windows ended early by their state's size. */
  finalInvocations: number;
  windowsTerminatedEarly: number;
}

interface Batch {
  records: KinesisRecord[];
  /** Invocations so far. */
  invocations: number;
}

/** How one invocation went: done, resume from an index of the batch, or an error. */
type Outcome = { kind: 'done' } | { kind: 'resume'; from: number } | { kind: 'error'; message: string };

export class EventSourceMapping {
  readonly stats: EventSourceStats = {
    invocations: 0,
    functionErrors: 0,
    timeouts: 0,
    partialFailures: 0,
    failedBatches: 0,
    finalInvocations: 0,
    windowsTerminatedEarly: 0,
  };
  private readonly settings: EventSourceSettings;
  private stopping = false;
  private shardLoops: Promise<void>[] = [];
  private streamArn = '';
  /** Shards being read, and shards read to their end (closed by a reshard). */
  private readonly started = new Set<string>();
  private readonly finished = new Set<string>();

  constructor(private readonly options: EventSourceMappingOptions) {
    this.settings = { ...DEFAULT_EVENT_SOURCE, ...options.settings };
  }

  async start(): Promise<void> {
    await this.startReadyShards();
  }

  /** Finishes the batches in flight, then stops reading. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (let waited = 0; waited < this.shardLoops.length; ) {
      const loops = this.shardLoops.slice(waited);
      await Promise.all(loops);
      waited += loops.length;
    }
  }

  /** Starts reading every shard not read yet whose parents (in the stream still) have been read to their end. */
  private async startReadyShards(): Promise<void> {
    const { StreamDescription } = await this.options.kinesis.send(new DescribeStreamCommand({ StreamName: this.options.streamName }));
    this.streamArn = StreamDescription!.StreamARN!;
    const shards = StreamDescription!.Shards ?? [];
    const known = new Set(shards.map((s) => s.ShardId!));
    for (const shard of shards) {
      const id = shard.ShardId!;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined && known.has(p));
      if (this.started.has(id) || !parents.every((p) => this.finished.has(p))) continue;
      this.started.add(id);
      // A child shard is read from its start, whatever the mapping's starting position.
      this.shardLoops.push(this.pollShard(id, this.streamArn, parents.length > 0 ? 'TRIM_HORIZON' : this.settings.startingPosition));
    }
  }

  private async pollShard(shardId: string, streamArn: string, startingPosition: EventSourceSettings['startingPosition']): Promise<void> {
    const { batchSize, batchingWindowMs, idlePollMs } = this.settings;
    const reader = new ShardReader(this.options.kinesis, this.options.streamName, shardId, startingPosition);
    const buffer: KinesisRecord[] = [];
    let windowOpenedAt = 0;
    let open = true;
    let tumbling: TumblingWindow | undefined;
    const windowMs = this.settings.tumblingWindowSeconds * 1000;
    const windowStartOf = (r: KinesisRecord) => Math.floor(r.ApproximateArrivalTimestamp!.getTime() / windowMs) * windowMs;
    /** The next batch: up to batchSize records, and with tumbling windows, of one window only, its predecessor's final invocation made first. */
    const nextBatch = async (): Promise<KinesisRecord[]> => {
      if (windowMs === 0) return buffer.splice(0, batchSize);
      const start = windowStartOf(buffer[0]);
      if (tumbling !== undefined && tumbling.start !== start) {
        await this.finalInvoke(tumbling, shardId, streamArn, false);
        tumbling = undefined;
      }
      tumbling ??= { start, end: start + windowMs, state: {} };
      let n = 1;
      while (n < Math.min(batchSize, buffer.length) && windowStartOf(buffer[n]) === start) n++;
      return buffer.splice(0, n);
    };
    while (!this.stopping && (open || buffer.length > 0)) {
      let fetched = 0;
      if (open && buffer.length < batchSize) {
        const page = await reader.read(Math.min(10_000, batchSize - buffer.length));
        open = page !== undefined;
        fetched = page?.length ?? 0;
        if (fetched > 0 && buffer.length === 0) windowOpenedAt = Date.now();
        buffer.push(...(page ?? []));
      }
      const windowClosed = buffer.length > 0 && Date.now() - windowOpenedAt >= batchingWindowMs;
      if (buffer.length >= batchSize || windowClosed || (!open && buffer.length > 0)) {
        await this.deliver(await nextBatch(), shardId, streamArn, tumbling);
        windowOpenedAt = Date.now();
      } else if (tumbling !== undefined && buffer.length === 0 && Date.now() >= tumbling.end) {
        await this.finalInvoke(tumbling, shardId, streamArn, false);
        tumbling = undefined;
      } else if (fetched === 0) {
        await sleep(buffer.length > 0 ? Math.min(idlePollMs, batchingWindowMs) : idlePollMs);
      }
    }
    if (!open && !this.stopping) {
      // A shard that ends closes its window; its children start their own.
      if (tumbling !== undefined) await this.finalInvoke(tumbling, shardId, streamArn, false);
      this.finished.add(shardId);
      await this.startReadyShards();
    }
  }

  /** Invokes the handler until the batch is done, retried out, or too old. */
  private async deliver(records: KinesisRecord[], shardId: string, streamArn: string, tumbling?: TumblingWindow): Promise<void> {
    const pending: Batch[] = [{ records, invocations: 0 }];
    while (pending.length > 0) {
      const batch = pending.shift()!;
      const oldest = batch.records[0].ApproximateArrivalTimestamp!.getTime();
      if (Date.now() - oldest > this.settings.maxRecordAgeSeconds * 1000) {
        await this.giveUp(batch, 'RecordAgeExceeded', shardId, streamArn);
        continue;
      }
      const outcome = await this.invoke(batch, shardId, streamArn, tumbling);
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

  private async invoke(batch: Batch, shardId: string, streamArn: string, tumbling?: TumblingWindow): Promise<Outcome> {
    batch.invocations++;
    this.stats.invocations++;
    const records: KinesisStreamEvent = {
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
    const event = tumbling === undefined ? records : windowEvent(records, tumbling, shardId, streamArn, false, false);
    let response: Awaited<ReturnType<KinesisHandler>>;
    try {
      response = await this.invokeWithTimeout(event);
      if (tumbling !== undefined && response?.state === undefined) throw new Error('the response has no state (tumbling window)');
    } catch (error) {
      this.stats.functionErrors++;
      return { kind: 'error', message: (error as Error).message }; // the retry gets the last success's state
    }
    if (tumbling !== undefined && response?.state !== undefined) {
      tumbling.state = response.state;
      if (Buffer.byteLength(JSON.stringify(response.state)) > MAX_STATE_BYTES) {
        this.stats.windowsTerminatedEarly++;
        await this.finalInvoke(tumbling, shardId, streamArn, true);
        tumbling.state = {}; // the window goes on, with a fresh state
      }
    }
    const failures = response?.batchItemFailures ?? [];
    if (failures.length === 0) return { kind: 'done' };
    this.stats.partialFailures++;
    const positions = failures.map((f) => batch.records.findIndex((r) => r.SequenceNumber === f.itemIdentifier));
    // An identifier that is not in the batch makes the whole batch a failure, as on Lambda.
    return { kind: 'resume', from: positions.includes(-1) ? 0 : Math.min(...positions) };
  }

  /** A window's final invocation: no records, the final state; retried until it succeeds, the shard waiting (unless the mapping stops). */
  private async finalInvoke(tumbling: TumblingWindow, shardId: string, streamArn: string, early: boolean): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      this.stats.invocations++;
      this.stats.finalInvocations++;
      try {
        await this.invokeWithTimeout(windowEvent({ Records: [] }, tumbling, shardId, streamArn, true, early));
        return;
      } catch {
        this.stats.functionErrors++;
        await sleep(Math.min(1_000, 50 * 2 ** attempt));
      }
    }
  }

  /** The handler with a context that counts down the timeout, failing as Lambda does when it is outlasted. */
  private async invokeWithTimeout(event: KinesisStreamEvent | KinesisStreamTumblingWindowEvent): ReturnType<KinesisHandler> {
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

/** A tumbling window's event: the records, the window's bounds and state, and whether this is its final invocation. */
function windowEvent(
  records: KinesisStreamEvent,
  tumbling: TumblingWindow,
  shardId: string,
  streamArn: string,
  final: boolean,
  early: boolean,
): KinesisStreamTumblingWindowEvent & { shardId: string; eventSourceARN: string } {
  return {
    ...records,
    window: { start: new Date(tumbling.start).toISOString(), end: new Date(tumbling.end).toISOString() },
    state: tumbling.state,
    shardId,
    eventSourceARN: streamArn,
    isFinalInvokeForWindow: final,
    isWindowTerminatedEarly: early,
  };
}
