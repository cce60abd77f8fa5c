/**
 * Writes the sample events in events/ (run: npx tsx tools/make-sample-events.ts).
 * They are committed; this script says how they were made and remakes them.
 */
import { writeFileSync } from 'node:fs';
import { COURSE_RIDE, kinesisEvent, RawData, type RecordPayload } from '../events/kinesis-event';

const ride = (id: number | string, pu: number, dO: number, miles: number) => ({
  ride: { PULocationID: pu, DOLocationID: dO, trip_distance: miles },
  ride_id: id,
});

const batch = [
  COURSE_RIDE,
  ride(257, 43, 151, 1.8),
  ride(258, 236, 237, 0.9),
  ride('2026-11-22T08:15:00Z#a1', 132, 230, 17.5),
  ride(260, 74, 75, 1.1),
];

const mixed: RecordPayload[] = [
  COURSE_RIDE,
  ride(301, 161, 162, 0.7),
  '{"ride": {"PULocationID": 130, "DOLocationID": 205, "trip_distance": 3.66}, "ride_id": ', // cut short
  new RawData('not base64!'), // as a misbehaving producer's bytes would arrive
  { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 'abc' }, ride_id: 302 },
  { ride: { PULocationID: 130, trip_distance: 2.5 }, ride_id: 303 },
  { ride: { PULocationID: '130', DOLocationID: 205, trip_distance: -1 }, ride_id: 304 },
  [COURSE_RIDE],
  ride(305, 48, 68, 2.2),
];

function write(name: string, event: object) {
  writeFileSync(new URL(`../events/${name}`, import.meta.url), `${JSON.stringify(event, null, 2)}\n`);
}

write('ride.json', kinesisEvent([COURSE_RIDE]));
write('batch.json', kinesisEvent(batch));
write('mixed.json', kinesisEvent(mixed));
