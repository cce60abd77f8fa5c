/**
 * Where a batch's results go, as the batch step sees them: a sink for predictions and one for
 * dead letters. Each owns its logs and its own metrics (what it could not deliver and why, the
 * dead letters sent or lost); the batch step learns only which input records must be replayed
 * and how many resends delivery took. Types only: the SDKs come in with create-sinks.ts.
 */
import type { DeadLetter } from './dead-letter';
import type { Deadline } from './deadline';

/** One output record, tied to the input record it answers. */
export interface OutputRecord {
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
}

/** What a sink did with a batch's entries. */
export interface Delivery {
  /** Entries that did not get through, by their input record: reported as batch item failures, for Kinesis to replay. */
  undelivered: readonly { sequenceNumber: string }[];
  /** Entries sent again after a failure, summed over attempts (the DeliveryRetries metric). */
  retried: number;
}

/** The output stream (Kinesis, prediction-writer.ts). */
export interface PredictionSink {
  write(records: readonly OutputRecord[], deadline: Deadline): Promise<Delivery>;
}

/** The dead-letter queue (SQS, dead-letter-queue.ts): every letter is delivered, lost (and said so), or undelivered. */
export interface DeadLetterSink {
  send(letters: readonly DeadLetter[], deadline: Deadline): Promise<Delivery>;
}

/** Both sinks of a batch; none in a test run (nothing is written anywhere). */
export interface Sinks {
  predictions: PredictionSink;
  deadLetters: DeadLetterSink;
}
