/**
 * The dead-letter message: everything needed to understand and redrive a record that can
 * never be predicted. Its body is JSON in printable ASCII (everything else escaped as
 * `\uXXXX`), so SQS, whose character set excludes U+FFFE, U+FFFF, lone surrogates and most
 * control characters, never refuses it for what a producer put in a record.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { escapeNonPrintable } from '../rides/safe-text';

export interface DeadLetter {
  /** Why the record can never be predicted, in printable ASCII. */
  reason: string;
  shardId: string;
  sequenceNumber: string;
  eventSourceARN: string;
  partitionKey: string;
  approximateArrivalTimestamp: number;
  /** The record's data exactly as Kinesis delivered it (base64); cut, or empty, when dataTruncated. */
  data: string;
  dataTruncated: boolean;
  /** Where the whole dead letter, data included, was put when it was too large for a message: s3://bucket/key. */
  dataLocation?: string;
  /** Why the data is not all here. */
  dataNote?: string;
  rejectedAt: string;
}

/** Lambda's eventID for a Kinesis record is "<shardId>:<sequenceNumber>". */
export function shardIdOf(record: KinesisStreamRecord): string {
  return record.eventID.slice(0, record.eventID.lastIndexOf(':'));
}

/** The dead letter for a Kinesis record that can never be predicted, with its data whole. */
export function deadLetterFor(record: KinesisStreamRecord, reason: string, rejectedAt = new Date().toISOString()): DeadLetter {
  return {
    reason: escapeNonPrintable(reason),
    shardId: shardIdOf(record),
    sequenceNumber: record.kinesis.sequenceNumber,
    eventSourceARN: record.eventSourceARN,
    partitionKey: record.kinesis.partitionKey,
    approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
    data: record.kinesis.data,
    dataTruncated: false,
    rejectedAt,
  };
}

/** The message body: JSON with everything outside printable ASCII escaped; its length is its size in bytes. */
export function messageBody(letter: DeadLetter): string {
  // JSON.stringify already escapes control characters and lone surrogates; the rest of non-ASCII is escaped here.
  return escapeNonPrintable(JSON.stringify(letter));
}

/** The letter with its data cut to exactly what fits in a message of maxBytes (whole base64 quanta). */
export function cutToFit(letter: DeadLetter, maxBytes: number, why: string): DeadLetter {
  const cut: DeadLetter = {
    ...letter,
    data: '',
    dataTruncated: true,
    dataNote: `${why}; the record's data was ${letter.data.length} base64 characters, cut to fit SQS's ${maxBytes}-byte message`,
  };
  const room = maxBytes - messageBody(cut).length;
  return { ...cut, data: letter.data.slice(0, Math.max(0, Math.floor(room / 4) * 4)) };
}

const shorten = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`);

/**
 * What is sent when SQS refuses a letter for what it is: its identity and reason without the
 * record's data, small and plain enough to be accepted by any queue.
 */
export function reducedLetter(letter: DeadLetter, refusal: string): DeadLetter {
  return {
    ...letter,
    reason: shorten(letter.reason, 1_000),
    partitionKey: shorten(letter.partitionKey, 256),
    data: '',
    dataTruncated: true,
    dataNote: `SQS refused the whole dead letter (${shorten(escapeNonPrintable(refusal), 300)}); the record's data is left out${letter.dataLocation ? ', and is at dataLocation' : ''}`,
  };
}
