/**
 * The invocation's event, checked before its records are read: what a Kinesis event source
 * mapping sends. Anything else (an `{}` posted to the invoke API, a hand-written event without
 * `eventID`) fails the invocation with what is missing, as a bad event fails any Lambda
 * function, rather than with a TypeError from deep inside the batch.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { RideDurationError } from '../errors';
import { isObject } from '../is-object';

/** The event is not a Kinesis stream event. */
export class EventShapeError extends RideDurationError {
  override name = 'EventShapeError';
}

/**
 * Throws an EventShapeError unless the event has `Records`, each with the fields the handler
 * reads: `eventID` (its shard), `kinesis.data` (the ride, base64) and `kinesis.sequenceNumber`.
 *
 * @example
 * ```typescript
 * checkKinesisEvent({}); // throws: not a Kinesis stream event: no Records array ...
 * ```
 */
export function checkKinesisEvent(event: unknown): asserts event is KinesisStreamEvent {
  if (!isObject(event) || !Array.isArray(event.Records)) {
    const found = isObject(event) ? `an object with keys ${JSON.stringify(Object.keys(event).slice(0, 10))}` : JSON.stringify(event);
    throw new EventShapeError(
      `not a Kinesis stream event: no Records array (a Kinesis event source mapping sends {"Records": [...]}; events/ride.json is one), got ${found}`,
    );
  }
  event.Records.forEach((record: unknown, i) => {
    const kinesis = isObject(record) ? record.kinesis : undefined;
    const missing = [
      !isObject(record) || typeof record.eventID !== 'string' ? 'eventID' : undefined,
      !isObject(kinesis) || typeof kinesis.data !== 'string' ? 'kinesis.data' : undefined,
      !isObject(kinesis) || typeof kinesis.sequenceNumber !== 'string' ? 'kinesis.sequenceNumber' : undefined,
    ].filter((m) => m !== undefined);
    if (missing.length > 0) {
      throw new EventShapeError(
        `not a Kinesis stream event: Records[${i}] has no ${missing.join(', ')} (each a string, as Kinesis sends them)`,
      );
    }
  });
}
