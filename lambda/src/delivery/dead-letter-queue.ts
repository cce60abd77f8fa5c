import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { DEFAULT_RETRY_POLICY, deliverInBatches, realClock, type RetryClock, type RetryOutcome, type RetryPolicy } from './batch-delivery';

/** SQS SendMessageBatch limits. */
const BATCH_MAX_ENTRIES = 10;
const BATCH_MAX_BYTES = 256 * 1024;
/** Raw data kept in a dead letter; more is cut so that the message fits in SQS. */
export const DEAD_LETTER_MAX_DATA_CHARS = 64 * 1024;

/** The dead-letter message body: everything needed to understand and redrive the record. */
export interface DeadLetter {
  reason: string;
  shardId: string;
  sequenceNumber: string;
  eventSourceARN: string;
  partitionKey: string;
  approximateArrivalTimestamp: number;
  /** The record's data exactly as Kinesis delivered it (base64), cut when dataTruncated. */
  data: string;
  dataTruncated: boolean;
  rejectedAt: string;
}

interface Message {
  letter: DeadLetter;
  body: string;
}

/** Sends dead letters to the SQS queue in batches, resending entries SQS did not take. */
export class DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly clock: RetryClock = realClock,
  ) {}

  async send(letters: readonly DeadLetter[]): Promise<RetryOutcome<DeadLetter>> {
    const outcome = await deliverInBatches(
      letters.map((letter): Message => ({ letter, body: JSON.stringify(letter) })),
      { maxEntries: BATCH_MAX_ENTRIES, maxBytes: BATCH_MAX_BYTES, bytesOf: (m) => Buffer.byteLength(m.body) },
      (pending) => this.sendMessageBatch(pending),
      this.policy,
      this.clock,
    );
    return { ...outcome, undelivered: outcome.undelivered.map((m) => m.letter) };
  }

  private async sendMessageBatch(pending: readonly Message[]) {
    const response = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: pending.map((m, i) => ({ Id: String(i), MessageBody: m.body })),
      }),
    );
    const failures = response.Failed ?? [];
    return {
      failed: failures.map((f) => pending[Number(f.Id)]),
      error: failures[0] && `${failures[0].Code}: ${failures[0].Message}`,
    };
  }
}

/** Lambda's eventID for a Kinesis record is "<shardId>:<sequenceNumber>". */
export function shardIdOf(record: KinesisStreamRecord): string {
  return record.eventID.slice(0, record.eventID.lastIndexOf(':'));
}

/** The dead letter for a Kinesis record that can never be predicted. */
export function deadLetterFor(record: KinesisStreamRecord, reason: string, rejectedAt = new Date().toISOString()): DeadLetter {
  const { data } = record.kinesis;
  return {
    reason,
    shardId: shardIdOf(record),
    sequenceNumber: record.kinesis.sequenceNumber,
    eventSourceARN: record.eventSourceARN,
    partitionKey: record.kinesis.partitionKey,
    approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
    data: data.length > DEAD_LETTER_MAX_DATA_CHARS ? data.slice(0, DEAD_LETTER_MAX_DATA_CHARS) : data,
    dataTruncated: data.length > DEAD_LETTER_MAX_DATA_CHARS,
    rejectedAt,
  };
}
