import { describe, expect, it } from 'vitest';
import { decodeRideRecord, MAX_RIDE_EVENT_BYTES } from '../lambda/src/rides/decode-record';
import { prepareFeatures } from '../lambda/src/rides/features';
import { COURSE_RIDE } from '../tools/kinesis-event';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const withRide = (ride: object, extra: object = {}) => b64(JSON.stringify({ ride, ride_id: 1, ...extra }));
const good = COURSE_RIDE.ride;

describe('decodeRideRecord', () => {
  it('decodes the course ride and prepares its features as training did', () => {
    const decoded = decodeRideRecord(b64(JSON.stringify(COURSE_RIDE)));
    expect(decoded).toEqual({ ok: true, event: COURSE_RIDE });
    expect(decoded.ok && prepareFeatures(decoded.event.ride)).toEqual({ PU_DO: '130_205', trip_distance: 3.66 });
  });

  it('passes string ride ids through unchanged and ignores extra fields', () => {
    const decoded = decodeRideRecord(b64(JSON.stringify({ ride: { ...good, vendor: 2 }, ride_id: 'abc-1', source: 'app' })));
    expect(decoded).toEqual({ ok: true, event: { ride: good, ride_id: 'abc-1' } });
  });

  it('accepts a zero distance', () => {
    expect(decodeRideRecord(withRide({ ...good, trip_distance: 0 })).ok).toBe(true);
  });

  it.each([
    ['not base64', 'not base64!', 'data: not valid base64'],
    ['base64 without padding', 'eyJ', 'data: not valid base64'],
    ['empty data', '', 'data: empty record'],
    ['not UTF-8', b64(Buffer.from([0xff, 0xfe, 0x7b])), 'data: not valid UTF-8'],
    ['not JSON', b64('ride=130'), 'data: not valid JSON'],
    ['NaN literal', b64('{"ride": {"trip_distance": NaN}}'), 'data: not valid JSON'],
    ['a JSON array', b64('[1, 2]'), 'record: expected a JSON object, got an array'],
    ['a JSON string', b64('"ride"'), 'record: expected a JSON object, got "ride"'],
    ['JSON null', b64('null'), 'record: expected a JSON object, got null'],
    ['no ride', b64('{"ride_id": 1}'), 'ride: missing'],
    ['ride is a string', b64('{"ride": "130-205", "ride_id": 1}'), 'ride: expected an object, got "130-205"'],
    ['no ride_id', b64(JSON.stringify({ ride: good })), 'ride_id: missing'],
    ['float ride_id', withRide(good, { ride_id: 1.5 }), 'ride_id: expected an integer or a string of 1 to 256 characters, got 1.5'],
    ['empty ride_id', withRide(good, { ride_id: '' }), 'ride_id: expected an integer or a string of 1 to 256 characters, got ""'],
    ['ride_id too long', withRide(good, { ride_id: 'x'.repeat(257) }), '(257 characters)'],
    ['missing PULocationID', withRide({ DOLocationID: 205, trip_distance: 1 }), 'ride.PULocationID: missing'],
    ['missing DOLocationID', withRide({ PULocationID: 130, trip_distance: 1 }), 'ride.DOLocationID: missing'],
    ['missing trip_distance', withRide({ PULocationID: 130, DOLocationID: 205 }), 'ride.trip_distance: missing'],
    ['string location', withRide({ ...good, PULocationID: '130' }), 'ride.PULocationID: expected an integer, got "130"'],
    ['fractional location', withRide({ ...good, DOLocationID: 20.5 }), 'ride.DOLocationID: expected an integer, got 20.5'],
    ['huge location', withRide({ ...good, PULocationID: 1e20 }), 'ride.PULocationID: expected an integer, got 100000000000000000000'],
    ['string distance', withRide({ ...good, trip_distance: 'abc' }), 'ride.trip_distance: expected a finite number >= 0, got "abc"'],
    ['"NaN" distance', withRide({ ...good, trip_distance: 'NaN' }), 'ride.trip_distance: expected a finite number >= 0, got "NaN"'],
    ['"Infinity" distance', withRide({ ...good, trip_distance: 'Infinity' }), 'got "Infinity"'],
    ['overflowing distance', b64('{"ride": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 1e400}, "ride_id": 1}'), 'ride.trip_distance: expected a finite number >= 0, got Infinity'],
    ['negative distance', withRide({ ...good, trip_distance: -1 }), 'ride.trip_distance: expected a finite number >= 0, got -1'],
    ['null distance', withRide({ ...good, trip_distance: null }), 'ride.trip_distance: expected a finite number >= 0, got null'],
    ['boolean distance', withRide({ ...good, trip_distance: true }), 'got true'],
    ['nested object as distance', withRide({ ...good, trip_distance: { miles: 3 } }), 'got an object'],
    ['fields only through __proto__', b64('{"ride": {"__proto__": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 3}}, "ride_id": 1}'), 'ride.PULocationID: missing'],
    ['ride only through __proto__', b64('{"__proto__": {"ride": {"PULocationID": 1}}, "ride_id": 1}'), 'ride: missing'],
    ['deeply nested JSON', b64(`{"ride": ${'['.repeat(5000)}${']'.repeat(5000)}, "ride_id": 1}`), 'ride: expected an object, got an array'],
    ['oversize record', b64(JSON.stringify({ ride: good, ride_id: 1, pad: 'x'.repeat(MAX_RIDE_EVENT_BYTES) })), `over the ${MAX_RIDE_EVENT_BYTES}-byte limit`],
  ])('rejects %s with a clear reason', (_, data, reason) => {
    const decoded = decodeRideRecord(data);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toContain(reason);
  });

  it('lists every problem of a record, not only the first', () => {
    const decoded = decodeRideRecord(b64(JSON.stringify({ ride: { PULocationID: 'a', trip_distance: -2 } })));
    expect(!decoded.ok && decoded.reason).toBe(
      'ride.PULocationID: expected an integer, got "a"; ride.DOLocationID: missing; ' +
        'ride.trip_distance: expected a finite number >= 0, got -2; ride_id: missing',
    );
  });
});
