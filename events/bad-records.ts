/**
 * The bad-input corpus: records a producer can get wrong, and the reason the handler must
 * give for each. Used by the unit tests and by the fault drill (npm run drill), which puts
 * every kind that can travel through Kinesis on the stream.
 */
import { gzipSync } from 'node:zlib';
import { MAX_RIDE_EVENT_BYTES } from '../lambda/src';

export interface BadRecord {
  kind: string;
  /** The record's bytes as a producer puts them; Lambda hands them over base64-encoded. */
  bytes?: Buffer;
  /** Data exactly as the event carries it, for what no Kinesis record can be (bad base64). */
  rawData?: string;
  /** The reason the handler reports. */
  reason: string;
  /** The reason goes on with the JSON parser's own words, which vary with the Node.js version. */
  parserDetail?: true;
}

const good = { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const text = (value: string) => Buffer.from(value);
const withRide = (ride: object, extra: object = {}) => json({ ride, ride_id: 1, ...extra });
const without = (key: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));
const oversize = withRide(good, { pad: 'x'.repeat(MAX_RIDE_EVENT_BYTES) });
/** Larger than an SQS message can be (256 KiB): its dead letter cannot carry it whole. */
const overSqs = withRide(good, { pad: 'x'.repeat(300 * 1024) });
const ZONES = 'a zone id from 1 to 265 (LOCATION_ID_MIN to LOCATION_ID_MAX)';
const RIDE_ID = 'an integer or a string of 1 to 256 UTF-16 code units';
/** A KPL aggregated record: the magic number, then protobuf (here, one record's worth of it). */
const kpl = Buffer.concat([
  Buffer.from([0xf3, 0x89, 0x9a, 0xc2]),
  Buffer.from('0a0131120b0800100018002203616263', 'hex'),
  Buffer.alloc(16),
]);

export const BAD_RECORDS: readonly BadRecord[] = [
  { kind: 'not base64', rawData: 'not base64!', reason: 'data: not valid base64' },
  { kind: 'base64 cut short', rawData: 'eyJ', reason: 'data: not valid base64' },
  { kind: 'empty data', bytes: Buffer.alloc(0), reason: 'data: empty record' },
  { kind: 'not UTF-8', bytes: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), reason: 'data: not valid UTF-8' },
  {
    kind: 'UTF-16 text',
    bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify({ ride: good, ride_id: 1 }), 'utf16le')]),
    reason: 'data: UTF-16 text (byte order mark FF FE); put the ride JSON as UTF-8',
  },
  {
    kind: 'UTF-8 with a byte order mark',
    bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ ride: good, ride_id: 1 })]),
    reason: 'data: starts with a byte order mark (EF BB BF); put the ride JSON as UTF-8 without one',
  },
  { kind: 'not JSON', bytes: text('ride=130&to=205'), reason: 'data: not valid JSON (', parserDetail: true },
  { kind: 'JSON cut short', bytes: text('{"ride": {"PULocationID": 130'), reason: 'data: not valid JSON (', parserDetail: true },
  {
    kind: 'NaN literal',
    bytes: text('{"ride": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": NaN}, "ride_id": 1}'),
    reason: 'data: not valid JSON (',
    parserDetail: true,
  },
  { kind: 'JSON array', bytes: text('[1, 2]'), reason: 'record: expected a JSON object, got an array' },
  { kind: 'JSON string', bytes: text('"ride"'), reason: 'record: expected a JSON object, got "ride"' },
  { kind: 'JSON number', bytes: text('42'), reason: 'record: expected a JSON object, got 42' },
  { kind: 'JSON null', bytes: text('null'), reason: 'record: expected a JSON object, got null' },
  { kind: 'missing ride', bytes: json({ ride_id: 1 }), reason: 'ride: missing' },
  { kind: 'ride is a string', bytes: json({ ride: '130-205', ride_id: 1 }), reason: 'ride: expected an object, got "130-205"' },
  { kind: 'ride is null', bytes: json({ ride: null, ride_id: 1 }), reason: 'ride: expected an object, got null' },
  { kind: 'missing ride_id', bytes: json({ ride: good }), reason: 'ride_id: missing' },
  { kind: 'fractional ride_id', bytes: withRide(good, { ride_id: 1.5 }), reason: `ride_id: expected ${RIDE_ID}, got 1.5` },
  { kind: 'empty ride_id', bytes: withRide(good, { ride_id: '' }), reason: `ride_id: expected ${RIDE_ID}, got ""` },
  {
    kind: 'ride_id too long',
    bytes: withRide(good, { ride_id: 'x'.repeat(257) }),
    reason: `ride_id: expected ${RIDE_ID}, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"... (257 characters)`,
  },
  { kind: 'ride_id is an object', bytes: withRide(good, { ride_id: { id: 1 } }), reason: `ride_id: expected ${RIDE_ID}, got an object` },
  {
    kind: 'blank ride_id',
    bytes: withRide(good, { ride_id: ' \t ' }),
    reason: 'ride_id: expected a string that is not blank, got " \\u0009 "',
  },
  {
    kind: 'ride_id with a control character',
    bytes: withRide(good, { ride_id: 'ride\u00001' }),
    reason: 'ride_id: expected a string without control characters, got "ride\\u00001"',
  },
  {
    kind: 'ride_id with a lone surrogate',
    bytes: text(`{"ride": ${JSON.stringify(good)}, "ride_id": "a\\ud800b"}`),
    reason: 'ride_id: expected a string of whole characters (not a lone UTF-16 surrogate), got "a\\ud800b"',
  },
  {
    kind: 'ride_id with U+FFFF',
    bytes: withRide(good, { ride_id: 'ride-\uffff' }),
    reason: 'ride_id: expected a string without Unicode noncharacters (such as U+FFFF), got "ride-\\uffff"',
  },
  {
    kind: 'ride_id beyond 2^53',
    bytes: text(`{"ride": ${JSON.stringify(good)}, "ride_id": 9007199254740993}`),
    reason: 'ride_id: expected an integer from -(2^53 - 1) to 2^53 - 1, or a string, got 9007199254740993',
  },
  {
    kind: 'ride_id that a JSON parser rounds to an integer',
    bytes: text(`{"ride": ${JSON.stringify(good)}, "ride_id": 9007199254740990.5}`),
    reason: `ride_id: expected ${RIDE_ID}, got 9007199254740990.5`,
  },
  { kind: 'missing PULocationID', bytes: withRide(without('PULocationID')), reason: 'ride.PULocationID: missing' },
  { kind: 'missing DOLocationID', bytes: withRide(without('DOLocationID')), reason: 'ride.DOLocationID: missing' },
  { kind: 'missing trip_distance', bytes: withRide(without('trip_distance')), reason: 'ride.trip_distance: missing' },
  {
    kind: 'location as a string',
    bytes: withRide({ ...good, PULocationID: '130' }),
    reason: 'ride.PULocationID: expected an integer, got "130"',
  },
  {
    kind: 'U+FFFF as a location',
    bytes: withRide({ ...good, PULocationID: '\uffff' }),
    reason: 'ride.PULocationID: expected an integer, got "\\uffff"',
  },
  {
    kind: 'lone surrogate as a location',
    bytes: text('{"ride": {"PULocationID": 1, "DOLocationID": "\\udfff", "trip_distance": 1}, "ride_id": 1}'),
    reason: 'ride.DOLocationID: expected an integer, got "\\udfff"',
  },
  {
    kind: 'fractional location',
    bytes: withRide({ ...good, DOLocationID: 20.5 }),
    reason: 'ride.DOLocationID: expected an integer, got 20.5',
  },
  { kind: 'location zero', bytes: withRide({ ...good, PULocationID: 0 }), reason: `ride.PULocationID: expected ${ZONES}, got 0` },
  {
    kind: 'location past the last zone',
    bytes: withRide({ ...good, DOLocationID: 266 }),
    reason: `ride.DOLocationID: expected ${ZONES}, got 266`,
  },
  {
    kind: 'huge location',
    bytes: withRide({ ...good, PULocationID: 1e20 }),
    reason: `ride.PULocationID: expected ${ZONES}, got 100000000000000000000`,
  },
  {
    kind: 'location that a JSON parser rounds to an integer',
    bytes: text('{"ride": {"PULocationID": 130.00000000000001, "DOLocationID": 205, "trip_distance": 3.66}, "ride_id": 1}'),
    reason: 'ride.PULocationID: expected an integer, got 130.00000000000001',
  },
  {
    kind: 'location beyond 2^53',
    bytes: text('{"ride": {"PULocationID": 9007199254740993, "DOLocationID": 2, "trip_distance": 1}, "ride_id": 1}'),
    reason: `ride.PULocationID: expected ${ZONES}, got 9007199254740993`,
  },
  {
    kind: 'location as a boolean',
    bytes: withRide({ ...good, DOLocationID: true }),
    reason: 'ride.DOLocationID: expected an integer, got true',
  },
  {
    kind: 'distance as a string',
    bytes: withRide({ ...good, trip_distance: 'abc' }),
    reason: 'ride.trip_distance: expected a finite number >= 0, got "abc"',
  },
  {
    kind: 'distance "NaN"',
    bytes: withRide({ ...good, trip_distance: 'NaN' }),
    reason: 'ride.trip_distance: expected a finite number >= 0, got "NaN"',
  },
  {
    kind: 'distance "Infinity"',
    bytes: withRide({ ...good, trip_distance: 'Infinity' }),
    reason: 'ride.trip_distance: expected a finite number >= 0, got "Infinity"',
  },
  {
    kind: 'distance overflowing to Infinity',
    bytes: text('{"ride": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 1e400}, "ride_id": 1}'),
    reason: 'ride.trip_distance: expected at most 200 (TRIP_DISTANCE_MAX), got 1e400',
  },
  {
    kind: 'distance beyond any ride',
    bytes: text('{"ride": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 1e308}, "ride_id": 1}'),
    reason: 'ride.trip_distance: expected at most 200 (TRIP_DISTANCE_MAX), got 1e308',
  },
  {
    kind: 'negative distance',
    bytes: withRide({ ...good, trip_distance: -1 }),
    reason: 'ride.trip_distance: expected a finite number >= 0, got -1',
  },
  {
    kind: 'null distance',
    bytes: withRide({ ...good, trip_distance: null }),
    reason: 'ride.trip_distance: expected a finite number >= 0, got null',
  },
  {
    kind: 'distance as an object',
    bytes: withRide({ ...good, trip_distance: { miles: 3 } }),
    reason: 'ride.trip_distance: expected a finite number >= 0, got an object',
  },
  {
    kind: 'fields only under __proto__',
    bytes: text('{"ride": {"__proto__": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 3}}, "ride_id": 1}'),
    reason: 'ride.PULocationID: missing; ride.DOLocationID: missing; ride.trip_distance: missing',
  },
  { kind: 'ride only under __proto__', bytes: text('{"__proto__": {"ride": {"PULocationID": 1}}, "ride_id": 1}'), reason: 'ride: missing' },
  {
    kind: 'deeply nested JSON',
    bytes: text(`{"ride": ${'['.repeat(5000)}${']'.repeat(5000)}, "ride_id": 1}`),
    reason: 'ride: expected an object, got an array',
  },
  {
    kind: 'oversize record',
    bytes: oversize,
    reason: `data: ${oversize.length} bytes, over the ${MAX_RIDE_EVENT_BYTES}-byte limit for a ride event`,
  },
  {
    kind: 'record larger than an SQS message',
    bytes: overSqs,
    reason: `data: ${overSqs.length} bytes, over the ${MAX_RIDE_EVENT_BYTES}-byte limit for a ride event`,
  },
  {
    kind: 'KPL aggregated record',
    bytes: kpl,
    reason: 'data: a KPL aggregated record (Kinesis Producer Library aggregation); put one ride per record, or turn aggregation off',
  },
  { kind: 'gzip data', bytes: gzipSync(json({ ride: good, ride_id: 1 })), reason: 'data: gzip data; put the ride JSON uncompressed' },
  {
    kind: 'zstd data',
    bytes: Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(12, 0x41)]),
    reason: 'data: zstd data; put the ride JSON uncompressed',
  },
  { kind: 'not JSON, with U+FFFF', bytes: text('\uffff{"ride": 1}'), reason: 'data: not valid JSON (', parserDetail: true },
  {
    kind: 'several problems at once',
    bytes: json({ ride: { PULocationID: 'a', trip_distance: -2 } }),
    reason:
      'ride.PULocationID: expected an integer, got "a"; ride.DOLocationID: missing; ride.trip_distance: expected a finite number >= 0, got -2; ride_id: missing',
  },
];

/** The record data as a Lambda event carries it. */
export function eventData(record: BadRecord): string {
  return record.rawData ?? record.bytes!.toString('base64');
}

/** Whether the handler's reason is the one the corpus expects for this record. */
export function isReasonFor(record: BadRecord, reason: string): boolean {
  return record.parserDetail ? reason.startsWith(record.reason) && reason.endsWith(')') : reason === record.reason;
}
