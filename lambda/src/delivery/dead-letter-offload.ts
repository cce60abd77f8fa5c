/**
 * The dead letters too large for SQS, put whole in the bucket DEAD_LETTER_BUCKET names (the
 * SQS extended-client pattern): the message then carries everything but the data, and the
 * object's s3:// URI. One put per letter, with the S3 client's own retries (s3-client.ts),
 * aborted at the invocation's deadline.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DEAD_LETTER_PREFIX } from '../names';
import { describeError } from './aws-errors';
import { type RetryClock, realClock } from './batch-delivery';
import type { DeadLetter } from './dead-letter';
import type { Deadline } from './deadline';

export interface DeadLetterOffloadOptions {
  s3: S3Client;
  bucket: string;
  /** Where the deadline is read; real time unless a test says otherwise. */
  clock?: RetryClock;
}

/** Where a letter was put, or why it is not there. */
export type Offloaded = { location: string } | { error: string };

export class DeadLetterOffload {
  constructor(private readonly options: DeadLetterOffloadOptions) {}

  /** Puts the whole letter (its message body) in the bucket: its s3:// URI, or why it is not there. */
  async put(letter: DeadLetter, body: string, deadline: Deadline): Promise<Offloaded> {
    const { s3, bucket, clock = realClock } = this.options;
    const key = offloadKey(letter);
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }), {
        abortSignal: deadline.signal(clock.now()),
      });
      return { location: `s3://${bucket}/${key}` };
    } catch (error) {
      return { error: `putting the whole letter in s3://${bucket} failed (${describeError(error)})` };
    }
  }
}

/** One key per record, so that a replay overwrites rather than adds: dead-letters/<stream>/<shard>/<sequence number>.json. */
export function offloadKey(letter: DeadLetter): string {
  const safe = (part: string) => part.replace(/[^A-Za-z0-9._-]/g, '_') || '_';
  const stream = letter.eventSourceARN.split('/').pop() ?? '';
  return `${DEAD_LETTER_PREFIX}${safe(stream)}/${safe(letter.shardId)}/${safe(letter.sequenceNumber)}.json`;
}
