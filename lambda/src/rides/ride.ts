import type { Ride } from './schema';

export type { Ride } from './schema';

/** Passed through unchanged from input to output; also the output record's partition key. */
export type RideId = string | number;

/** The input record's shape (docs/design.md): one ride and its id, as producers send it. */
export interface RideEvent {
  ride: Ride;
  ride_id: RideId;
}
