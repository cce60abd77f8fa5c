import { NumberLiterals } from './number-literals';
import type { RideEvent } from './ride';
import { quote } from './safe-text';

/** Kinesis partition keys are 1 to 256 characters, and ride_id becomes the output's key. */
const MAX_RIDE_ID_LENGTH = 256;

/** What a valid ride is, beyond its shape (the function's LOCATION_ID_MIN/MAX and TRIP_DISTANCE_MAX). */
export interface RideLimits {
  /** The lowest and highest zone id a location may have. */
  locationIdMin: number;
  locationIdMax: number;
  /** The longest trip_distance that is a ride rather than a meter error. */
  tripDistanceMax: number;
}

/**
 * The NYC taxi zones are 1 to 265 (264 and 265 are "unknown" and "outside NYC"). 200 miles is
 * hours beyond any ride the models are trained on (the course keeps rides of 1 to 60
 * minutes); longer readings are meter errors, and a model asked about them extrapolates
 * without bound (1e308 miles "takes" 1.59e308 minutes).
 */
export const DEFAULT_RIDE_LIMITS: RideLimits = { locationIdMin: 1, locationIdMax: 265, tripDistanceMax: 200 };

export type Validation = { ok: true; event: RideEvent } | { ok: false; reason: string };

/**
 * A short rendering of an offending value for a reason, in printable ASCII: strings quoted
 * with anything else escaped, numbers as the producer wrote them when the literal is known.
 */
export function describeValue(value: unknown, literal?: string): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return value.length <= 40 ? quote(value) : `${quote(value.slice(0, 40))}... (${value.length} characters)`;
    case 'number':
      if (literal === undefined) return String(value);
      return literal.length <= 40 ? literal : `${literal.slice(0, 40)}... (${literal.length} characters)`;
    default:
      return String(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const BLANK = /^\s*$/u;
/** C0 and C1 controls and DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** A surrogate that is not half of a pair (the u flag reads pairs as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;
/** U+FFFE, U+FFFF and the other noncharacters: never meant for interchange, refused by SQS. */
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;

/** Why a string cannot be a ride id, or undefined when it can. */
function rideIdStringProblem(id: string): string | undefined {
  if (id.length === 0 || id.length > MAX_RIDE_ID_LENGTH) return `an integer or a string of 1 to ${MAX_RIDE_ID_LENGTH} characters`;
  if (BLANK.test(id)) return 'a string that is not blank';
  if (CONTROL.test(id)) return 'a string without control characters';
  if (LONE_SURROGATE.test(id)) return 'a string of whole characters (not a lone UTF-16 surrogate)';
  if (NONCHARACTER.test(id)) return 'a string without Unicode noncharacters (such as U+FFFF)';
  return undefined;
}

const isRideId = (v: unknown): boolean => Number.isSafeInteger(v) || (typeof v === 'string' && rideIdStringProblem(v) === undefined);

/** What makes a ride id invalid, in the words of the reason. */
function rideIdExpectation(v: unknown): string {
  if (typeof v === 'string') return rideIdStringProblem(v) ?? 'a string';
  if (Number.isInteger(v)) return `an integer from -(2^53 - 1) to 2^53 - 1, or a string`;
  return `an integer or a string of 1 to ${MAX_RIDE_ID_LENGTH} characters`;
}

type Check = {
  key: 'PULocationID' | 'DOLocationID' | 'trip_distance';
  valid: (v: unknown) => boolean;
  /** What a valid value is, for the reason; given the value, as out-of-range values get their own words. */
  expected: (v: unknown) => string;
};

/**
 * Validates parsed input records against the design contract and the limits. Lists every
 * problem, each as `path: expected ..., got ...`. Only own properties count, so `__proto__`
 * keys are inert. Extra fields are allowed: producers may add fields before this service uses them.
 */
export class RideValidator {
  private readonly checks: readonly Check[];

  constructor(readonly limits: RideLimits = DEFAULT_RIDE_LIMITS) {
    const { locationIdMin, locationIdMax, tripDistanceMax } = limits;
    const isLocationId = (v: unknown) => Number.isInteger(v) && (v as number) >= locationIdMin && (v as number) <= locationIdMax;
    const location = (v: unknown) =>
      Number.isInteger(v) ? `a zone id from ${locationIdMin} to ${locationIdMax} (LOCATION_ID_MIN to LOCATION_ID_MAX)` : 'an integer';
    const isDistance = (v: unknown) => typeof v === 'number' && v >= 0 && v <= tripDistanceMax;
    const distance = (v: unknown) =>
      typeof v === 'number' && v > tripDistanceMax ? `at most ${tripDistanceMax} (TRIP_DISTANCE_MAX)` : 'a finite number >= 0';
    this.checks = [
      { key: 'PULocationID', valid: isLocationId, expected: location },
      { key: 'DOLocationID', valid: isLocationId, expected: location },
      { key: 'trip_distance', valid: isDistance, expected: distance },
    ];
  }

  /**
   * A parsed record as a ride event, or the reason it is none. `text`, the JSON it was
   * parsed from, lets the reason quote numbers exactly as they were sent.
   */
  validate(record: unknown, text?: string): Validation {
    // The common case first, without building any message: it is on every record's path.
    if (isPlainObject(record) && Object.hasOwn(record, 'ride_id') && isRideId(record.ride_id) && Object.hasOwn(record, 'ride')) {
      const ride = record.ride;
      if (isPlainObject(ride) && this.checks.every(({ key, valid }) => Object.hasOwn(ride, key) && valid(ride[key]))) {
        const { PULocationID, DOLocationID, trip_distance } = ride as Record<string, number>;
        return {
          ok: true,
          event: { ride: { PULocationID, DOLocationID, trip_distance }, ride_id: record.ride_id as RideEvent['ride_id'] },
        };
      }
    }
    return { ok: false, reason: this.problemsOf(record, new NumberLiterals(text)).join('; ') };
  }

  /** Every way the record misses the contract; not empty when the fast check failed. */
  private problemsOf(record: unknown, literals: NumberLiterals): string[] {
    if (!isPlainObject(record)) return [`record: expected a JSON object, got ${describeValue(record, literals.at([]))}`];
    const problems: string[] = [];
    const check = (path: string[], owner: Record<string, unknown>, valid: (v: unknown) => boolean, expected: (v: unknown) => string) => {
      const key = path[path.length - 1];
      const value = owner[key];
      if (!Object.hasOwn(owner, key)) problems.push(`${path.join('.')}: missing`);
      else if (!valid(value))
        problems.push(`${path.join('.')}: expected ${expected(value)}, got ${describeValue(value, literals.at(path))}`);
    };
    const ride = record.ride;
    if (!Object.hasOwn(record, 'ride')) problems.push('ride: missing');
    else if (!isPlainObject(ride)) problems.push(`ride: expected an object, got ${describeValue(ride)}`);
    else for (const { key, valid, expected } of this.checks) check(['ride', key], ride, valid, expected);
    check(['ride_id'], record, isRideId, rideIdExpectation);
    return problems;
  }
}

const defaultValidator = new RideValidator();

/** Validates with the default limits; see RideValidator. */
export function validateRideEvent(record: unknown, text?: string): Validation {
  return defaultValidator.validate(record, text);
}
