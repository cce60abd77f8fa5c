import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** Record data given exactly as Lambda would deliver it, base64 or not (for bad-input cases). */
export class RawData {
  constructor(readonly data: string) {}
}

/** What a record carries: a value to JSON-encode, text, bytes, or RawData. */
export type RecordPayload = object | string | Uint8Array | RawData;

export interface EventOptions {
  streamArn?: string;
  shardId?: string;
  /** The first record's sequence number; the rest count up from it. */
  firstSequenceNumber?: bigint;
}

export const SAMPLE_STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/ride_events';

function encode(payload: RecordPayload): string {
  if (payload instanceof RawData) return payload.data;
  if (payload instanceof Uint8Array) return Buffer.from(payload).toString('base64');
  return Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64');
}

export interface RecordFields {
  /** base64, as Lambda delivers it. */
  data: string;
  partitionKey: string;
  sequenceNumber: string;
  /** Seconds since the epoch. */
  approximateArrivalTimestamp: number;
  shardId: string;
  streamArn: string;
}

/** One record of a Kinesis event, in the exact shape Lambda's event source mapping sends. */
export function lambdaKinesisRecord(r: RecordFields): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.partitionKey,
      sequenceNumber: r.sequenceNumber,
      data: r.data,
      approximateArrivalTimestamp: r.approximateArrivalTimestamp,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${r.shardId}:${r.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${r.streamArn.split(':')[4]}:role/ride-duration-function-role`,
    awsRegion: r.streamArn.split(':')[3],
    eventSourceARN: r.streamArn,
  };
}

/** A Kinesis event exactly as Lambda's event source mapping delivers it. */
export function kinesisEvent(payloads: readonly RecordPayload[], options: EventOptions = {}): KinesisStreamEvent {
  const first = options.firstSequenceNumber ?? 49630081666084879290581185630324770398608704880802529282n;
  return {
    Records: payloads.map((payload, i) => {
      const rideId = typeof payload === 'object' && payload !== null && 'ride_id' in payload ? payload.ride_id : i;
      return lambdaKinesisRecord({
        data: encode(payload),
        partitionKey: String(rideId),
        sequenceNumber: String(first + BigInt(i)),
        approximateArrivalTimestamp: 1654161514.132 + i / 1000,
        shardId: options.shardId ?? 'shardId-000000000000',
        streamArn: options.streamArn ?? SAMPLE_STREAM_ARN,
      });
    }),
  };
}

/** The course's ride: 130 -> 205, 3.66 miles, ride 256. */
export const COURSE_RIDE = { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }, ride_id: 256 };
