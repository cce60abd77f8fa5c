import { describe, expect, it } from 'vitest';
import { BAD_RECORDS, eventData, isReasonFor } from '../../events/bad-records';
import { COURSE_RIDE, kinesisEvent } from '../../events/kinesis-event';
import { decodeRideRecord, MAX_RIDE_EVENT_BYTES } from '../../lambda/src/rides/decode-record';
import { checkKinesisEvent, EventShapeError } from '../../lambda/src/rides/kinesis-event';
import { RideValidator } from '../../lambda/src/rides/validate-ride';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const withRide = (ride: object) => b64(JSON.stringify({ ride, ride_id: 1 }));
const good = COURSE_RIDE.ride;

describe('decodeRideRecord', () => {
  it('decodes the course ride', () => {
    const decoded = decodeRideRecord(b64(JSON.stringify(COURSE_RIDE)));
    expect(decoded).toEqual({ ok: true, event: COURSE_RIDE });
  });

  it('passes string ride ids through unchanged and ignores extra fields', () => {
    const decoded = decodeRideRecord(b64(JSON.stringify({ ride: { ...good, vendor: 2 }, ride_id: 'abc-1', source: 'app' })));
    expect(decoded).toEqual({ ok: true, event: { ride: good, ride_id: 'abc-1' } });
  });

  it('decodes UTF-8 beyond ASCII (the slower path), keeping the text intact', () => {
    const decoded = decodeRideRecord(b64(JSON.stringify({ ride: good, ride_id: 'café-🚕-1' })));
    expect(decoded).toEqual({ ok: true, event: { ride: good, ride_id: 'café-🚕-1' } });
  });

  it('accepts a zero distance', () => {
    expect(decodeRideRecord(withRide({ ...good, trip_distance: 0 })).ok).toBe(true);
  });

  it.each(BAD_RECORDS.map((r) => [r.kind, r] as const))('rejects %s with its reason', (_, record) => {
    const decoded = decodeRideRecord(eventData(record));
    expect(decoded.ok).toBe(false);
    const reason = decoded.ok ? '' : decoded.reason;
    expect(isReasonFor(record, reason), reason).toBe(true);
  });

  it('gives every bad record a reason in printable ASCII, safe for an SQS message whatever the record holds', () => {
    for (const record of BAD_RECORDS) {
      const decoded = decodeRideRecord(eventData(record));
      expect(decoded.ok ? '' : decoded.reason, record.kind).toMatch(/^[\x20-\x7e]+$/);
    }
  });

  it('quotes numbers as they were sent, cutting very long literals', () => {
    const digits = '9'.repeat(100);
    const decoded = decodeRideRecord(
      b64(`{"ride": {"PULocationID": ${digits}, "DOLocationID": 1, "trip_distance": 1}, "ride_id": -${digits}}`),
    );
    expect(decoded).toEqual({
      ok: false,
      reason:
        `ride.PULocationID: expected a zone id from 1 to 265 (LOCATION_ID_MIN to LOCATION_ID_MAX), got ${'9'.repeat(40)}... (100 characters); ` +
        `ride_id: expected an integer from -(2^53 - 1) to 2^53 - 1, or a string, got -${'9'.repeat(39)}... (101 characters)`,
    });
  });

  it('quotes the last of duplicate keys, the one JSON.parse keeps', () => {
    const decoded = decodeRideRecord(
      b64('{"ride": {"PULocationID": 5, "PULocationID": 9007199254740993, "DOLocationID": 1, "trip_distance": 1}, "ride_id": 1}'),
    );
    expect(decoded.ok ? '' : decoded.reason).toBe(
      'ride.PULocationID: expected a zone id from 1 to 265 (LOCATION_ID_MIN to LOCATION_ID_MAX), got 9007199254740993',
    );
  });

  it('refuses a ride id or zone that JSON.parse would round to an integer, quoting what was sent', () => {
    const record = (rideId: string, pickup = '130', dropoff = '205') =>
      b64(`{"ride": {"PULocationID": ${pickup}, "DOLocationID": ${dropoff}, "trip_distance": 3.66}, "ride_id": ${rideId}}`);
    const reason = (data: string) => {
      const decoded = decodeRideRecord(data);
      return decoded.ok ? `accepted as ${JSON.stringify(decoded.event)}` : decoded.reason;
    };
    expect(reason(record('9007199254740990.5'))).toBe(
      'ride_id: expected an integer or a string of 1 to 256 UTF-16 code units, got 9007199254740990.5',
    );
    expect(reason(record('1e-400'))).toBe('ride_id: expected an integer or a string of 1 to 256 UTF-16 code units, got 1e-400');
    expect(reason(record('7', '130.00000000000001', '204.99999999999999'))).toBe(
      'ride.PULocationID: expected an integer, got 130.00000000000001; ride.DOLocationID: expected an integer, got 204.99999999999999',
    );
    // Integers however written are integers; a trip distance may be any number.
    const accepted = decodeRideRecord(
      b64('{"ride": {"PULocationID": 1.3e2, "DOLocationID": 205.0, "trip_distance": 0.30000000000000004}, "ride_id": 2.56e2}'),
    );
    expect(accepted).toEqual({
      ok: true,
      event: { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 0.30000000000000004 }, ride_id: 256 },
    });
  });

  it('accepts the first and last zone and the longest trip, and any limits configured', () => {
    expect(decodeRideRecord(withRide({ PULocationID: 1, DOLocationID: 265, trip_distance: 200 })).ok).toBe(true);
    const wide = new RideValidator({ locationIdMin: 0, locationIdMax: 300, tripDistanceMax: 1000 });
    expect(decodeRideRecord(withRide({ PULocationID: 0, DOLocationID: 300, trip_distance: 999.5 }), wide).ok).toBe(true);
    expect(decodeRideRecord(withRide({ PULocationID: 301, DOLocationID: 1, trip_distance: 1001 }), wide)).toEqual({
      ok: false,
      reason:
        'ride.PULocationID: expected a zone id from 0 to 300 (LOCATION_ID_MIN to LOCATION_ID_MAX), got 301; ride.trip_distance: expected at most 1000 (TRIP_DISTANCE_MAX), got 1001',
    });
  });

  it('accepts ride ids of any whole characters, astral ones included', () => {
    expect(decodeRideRecord(b64(JSON.stringify({ ride: good, ride_id: '\u{1F695}-\u00e9-x y' }))).ok).toBe(true);
  });

  it('names KPL aggregation and gzip whatever their size', () => {
    const big = (head: number[]) => b64(Buffer.concat([Buffer.from(head), Buffer.alloc(MAX_RIDE_EVENT_BYTES * 2)]));
    expect(decodeRideRecord(big([0xf3, 0x89, 0x9a, 0xc2]))).toMatchObject({
      reason: expect.stringMatching(/^data: a KPL aggregated record/),
    });
    expect(decodeRideRecord(big([0x1f, 0x8b, 8]))).toMatchObject({ reason: 'data: gzip data; put the ride JSON uncompressed' });
  });

  it('has a corpus of at least 30 kinds of bad record', () => {
    expect(new Set(BAD_RECORDS.map((r) => r.kind)).size).toBeGreaterThanOrEqual(30);
  });
});

describe('checkKinesisEvent', () => {
  it('passes what an event source mapping sends, and names what any other event lacks', () => {
    const event = kinesisEvent([COURSE_RIDE]);
    expect(() => checkKinesisEvent(event)).not.toThrow();
    expect(() => checkKinesisEvent({ Records: [] })).not.toThrow();
    for (const [bad, message] of [
      [
        {},
        'no Records array (a Kinesis event source mapping sends {"Records": [...]}; events/ride.json is one), got an object with keys []',
      ],
      [null, 'no Records array (a Kinesis event source mapping sends {"Records": [...]}; events/ride.json is one), got null'],
      [{ Records: 'x' }, 'got an object with keys ["Records"]'],
      [{ Records: [event.Records[0], {}] }, 'Records[1] has no eventID, kinesis.data, kinesis.sequenceNumber'],
      [{ Records: [{ ...event.Records[0], eventID: undefined }] }, 'Records[0] has no eventID (each a string'],
      [{ Records: [{ ...event.Records[0], kinesis: { data: 'e30=' } }] }, 'Records[0] has no kinesis.sequenceNumber ('],
    ] as const) {
      expect(() => checkKinesisEvent(bad), JSON.stringify(bad)).toThrow(EventShapeError);
      expect(() => checkKinesisEvent(bad)).toThrow(message);
    }
  });
});
