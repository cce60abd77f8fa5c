/**
 * The prediction sink: output records to the Kinesis stream with PutRecords.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { logger } from '../telemetry';
import { kinesisEntryFate } from './aws-errors';
import {
  type BatchAnswer,
  DEFAULT_RETRY_POLICY,
  type DeliveryOptions,
  deliverInBatches,
  type RetryOutcome,
  realClock,
} from './batch-delivery';
import type { Deadline } from './deadline';
import type { OutputRecord, PredictionSink } from './sinks';

/** Kinesis PutRecords limits. */
export const PUT_RECORDS_MAX_ENTRIES = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
export const RECORD_MAX_BYTES = 1024 * 1024;

export interface PredictionWriterOptions extends DeliveryOptions {
  kinesis: KinesisClient;
  streamName: string;
}

/** A record's size as Kinesis counts it: data plus partition key. */
const bytesOf = (r: OutputRecord) => r.data.byteLength + Buffer.byteLength(r.partitionKey);

/**
 * Writes prediction records with PutRecords within the API's limits, one call at a time in
 * the order given; resends only the entries Kinesis rejected (throttling, internal failure)
 * until the deadline. What is still undelivered then, and every record after it, is
 * returned for Kinesis to replay, and said at ERROR with the last error.
 *
 * Order on the output stream is not guaranteed: an entry resent after throttling lands
 * behind the entries of its call that were taken the first time. Consumers must not rely
 * on it (they dedupe on (ride_id, version) in any case).
 */
export class PredictionWriter implements PredictionSink {
  constructor(private readonly options: PredictionWriterOptions) {}

  async write(records: readonly OutputRecord[], deadline: Deadline): Promise<RetryOutcome<OutputRecord>> {
    const tooLarge = records.filter((r) => bytesOf(r) > RECORD_MAX_BYTES);
    // One call at a time: once a call gives up, the calls after it are not sent (see deliverInBatches).
    const outcome = await deliverInBatches(tooLarge.length === 0 ? records : records.filter((r) => bytesOf(r) <= RECORD_MAX_BYTES), {
      limits: { maxEntries: PUT_RECORDS_MAX_ENTRIES, maxBytes: PUT_RECORDS_MAX_BYTES, bytesOf },
      send: (pending, signal) => this.putRecords(pending, signal),
      deadline,
      policy: this.options.policy ?? DEFAULT_RETRY_POLICY,
      clock: this.options.clock ?? realClock,
      concurrency: 1,
    });
    const delivered =
      tooLarge.length === 0
        ? outcome
        : {
            ...outcome,
            undelivered: [...tooLarge, ...outcome.undelivered],
            lastError: `${tooLarge.length} output record(s) over Kinesis's ${RECORD_MAX_BYTES}-byte limit`,
          };
    if (delivered.undelivered.length > 0) {
      logger.error('predictions not delivered; Kinesis will replay their records', {
        count: delivered.undelivered.length,
        lastError: delivered.lastError,
      });
    }
    return delivered;
  }

  private async putRecords(entries: readonly OutputRecord[], abortSignal: AbortSignal): Promise<BatchAnswer<OutputRecord>> {
    const response = await this.options.kinesis.send(
      new PutRecordsCommand({
        StreamName: this.options.streamName,
        Records: entries.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
      { abortSignal },
    );
    const results = response.Records ?? [];
    // Entry i of the response answers entry i of the request; a missing answer is a failure to retry.
    const retry: OutputRecord[] = [];
    const failed: OutputRecord[] = [];
    let error: string | undefined;
    entries.forEach((entry, i) => {
      const code = results[i] === undefined ? 'InternalFailure' : results[i].ErrorCode;
      if (code === undefined) return;
      (kinesisEntryFate(code) === 'retried' ? retry : failed).push(entry);
      error ??= `${code}: ${results[i]?.ErrorMessage ?? 'no answer for the entry'}`;
    });
    return { retry, failed, error };
  }
}
