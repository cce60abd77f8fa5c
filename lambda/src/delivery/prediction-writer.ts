import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DEFAULT_RETRY_POLICY, deliverInBatches, realClock, type RetryClock, type RetryOutcome, type RetryPolicy } from './batch-delivery';

/** Kinesis PutRecords limits. */
export const PUT_RECORDS_MAX_ENTRIES = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
export const RECORD_MAX_BYTES = 1024 * 1024;

/** One output record, tied to the input record it answers. */
export interface OutputRecord {
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
}

/** A record's size as Kinesis counts it: data plus partition key. */
const bytesOf = (r: OutputRecord) => r.data.byteLength + Buffer.byteLength(r.partitionKey);

/**
 * Writes prediction records with PutRecords, in input order, within the API's limits;
 * resends only the entries Kinesis rejected (throttling, internal failure). What is still
 * undelivered when attempts run out, and everything after it, is returned for Kinesis to
 * replay.
 */
export class PredictionWriter {
  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly clock: RetryClock = realClock,
  ) {}

  async write(records: readonly OutputRecord[]): Promise<RetryOutcome<OutputRecord>> {
    const tooLarge = records.filter((r) => bytesOf(r) > RECORD_MAX_BYTES);
    // One call at a time keeps each shard's output in input order, retries included.
    const outcome = await deliverInBatches(
      tooLarge.length === 0 ? records : records.filter((r) => bytesOf(r) <= RECORD_MAX_BYTES),
      { maxEntries: PUT_RECORDS_MAX_ENTRIES, maxBytes: PUT_RECORDS_MAX_BYTES, bytesOf },
      (pending) => this.putRecords(pending),
      this.policy,
      this.clock,
    );
    if (tooLarge.length === 0) return outcome;
    return {
      ...outcome,
      undelivered: [...tooLarge, ...outcome.undelivered],
      lastError: `${tooLarge.length} output record(s) over Kinesis's ${RECORD_MAX_BYTES}-byte limit`,
    };
  }

  private async putRecords(entries: readonly OutputRecord[]) {
    const response = await this.kinesis.send(
      new PutRecordsCommand({
        StreamName: this.streamName,
        Records: entries.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
    );
    const results = response.Records ?? [];
    // Entry i of the response answers entry i of the request; a missing answer is a failure.
    const failed = entries.filter((_, i) => results[i] === undefined || results[i].ErrorCode !== undefined);
    const firstError = results.find((r) => r.ErrorCode !== undefined);
    return { failed, error: firstError && `${firstError.ErrorCode}: ${firstError.ErrorMessage}` };
  }
}
