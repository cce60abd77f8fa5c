import { describe, expect, it } from 'vitest';
import { BAD_RECORDS, eventData, isReasonFor } from '../events/bad-records';
import { decodeRideRecord } from '../lambda/src/rides/decode-record';
import { prepareFeatures } from '../lambda/src/rides/features';
import { COURSE_RIDE } from '../events/kinesis-event';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const withRide = (ride: object) => b64(JSON.stringify({ ride, ride_id: 1 }));
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

  it('has a corpus of at least 30 kinds of bad record', () => {
    expect(new Set(BAD_RECORDS.map((r) => r.kind)).size).toBeGreaterThanOrEqual(30);
  });
});
