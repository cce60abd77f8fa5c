import type { RideEvent } from './ride';

/** Kinesis partition keys are 1 to 256 characters, and ride_id becomes the output's key. */
const MAX_RIDE_ID_LENGTH = 256;

export type Validation = { ok: true; event: RideEvent } | { ok: false; reason: string };

/** A short, safe rendering of an offending value for a reason message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return value.length <= 40 ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 40))}... (${value.length} characters)`;
    default:
      return String(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isLocationId = (v: unknown): boolean => Number.isSafeInteger(v);
const isDistance = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isRideId = (v: unknown): boolean =>
  Number.isSafeInteger(v) || (typeof v === 'string' && v.length > 0 && v.length <= MAX_RIDE_ID_LENGTH);

/** Each required field, its check, and what a valid value is, in the words of the reason. */
const RIDE_FIELDS = [
  ['PULocationID', isLocationId, 'an integer'],
  ['DOLocationID', isLocationId, 'an integer'],
  ['trip_distance', isDistance, 'a finite number >= 0'],
] as const;

/**
 * Checks a parsed input record against the design contract. Lists every problem, each as
 * `path: expected ..., got ...`. Only own properties count, so `__proto__` keys are inert.
 * Extra fields are allowed: producers may add fields before this service uses them.
 */
export function validateRideEvent(record: unknown): Validation {
  // The common case first, without building any message: it is on every record's path.
  if (isPlainObject(record) && Object.hasOwn(record, 'ride_id') && isRideId(record.ride_id) && Object.hasOwn(record, 'ride')) {
    const ride = record.ride;
    if (isPlainObject(ride) && RIDE_FIELDS.every(([key, valid]) => Object.hasOwn(ride, key) && valid(ride[key]))) {
      const { PULocationID, DOLocationID, trip_distance } = ride as Record<string, number>;
      return { ok: true, event: { ride: { PULocationID, DOLocationID, trip_distance }, ride_id: record.ride_id as RideEvent['ride_id'] } };
    }
  }
  return { ok: false, reason: problemsOf(record).join('; ') };
}

/** Every way the record misses the contract; not empty when the fast check failed. */
function problemsOf(record: unknown): string[] {
  if (!isPlainObject(record)) return [`record: expected a JSON object, got ${describeValue(record)}`];
  const problems: string[] = [];
  const check = (path: string, owner: Record<string, unknown>, key: string, valid: (v: unknown) => boolean, expected: string) => {
    if (!Object.hasOwn(owner, key)) problems.push(`${path}: missing`);
    else if (!valid(owner[key])) problems.push(`${path}: expected ${expected}, got ${describeValue(owner[key])}`);
  };
  const ride = record.ride;
  if (!Object.hasOwn(record, 'ride')) problems.push('ride: missing');
  else if (!isPlainObject(ride)) problems.push(`ride: expected an object, got ${describeValue(ride)}`);
  else for (const [key, valid, expected] of RIDE_FIELDS) check(`ride.${key}`, ride, key, valid, expected);
  check('ride_id', record, 'ride_id', isRideId, `an integer or a string of 1 to ${MAX_RIDE_ID_LENGTH} characters`);
  return problems;
}
