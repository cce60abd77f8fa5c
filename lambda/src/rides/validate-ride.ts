import { isObject } from '../is-object';
import { isIntegerLiteral, MAY_ROUND_TO_INTEGER, NumberLiterals } from './number-literals';
import type { RideEvent } from './ride';
import { quote } from './safe-text';
import { DEFAULT_RIDE_LIMITS, type FieldRule, RIDE_FIELDS, type RideField, type RideLimits } from './schema';

/**
 * ride_id becomes the output record's partition key, which Kinesis allows 1 to 256 characters.
 * Counted in UTF-16 code units (JavaScript's string length, an emoji is 2), which is never
 * fewer than code points: a key within this limit is within Kinesis's however it counts.
 */
const MAX_RIDE_ID_LENGTH = 256;
const RIDE_ID_STRING = `a string of 1 to ${MAX_RIDE_ID_LENGTH} UTF-16 code units`;

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
  if (id.length === 0 || id.length > MAX_RIDE_ID_LENGTH) return `an integer or ${RIDE_ID_STRING}`;
  if (BLANK.test(id)) return 'a string that is not blank';
  if (CONTROL.test(id)) return 'a string without control characters';
  if (LONE_SURROGATE.test(id)) return 'a string of whole characters (not a lone UTF-16 surrogate)';
  if (NONCHARACTER.test(id)) return 'a string without Unicode noncharacters (such as U+FFFF)';
  return undefined;
}

/**
 * Whether a number is the integer its producer sent: JSON.parse reads 9007199254740990.5 as
 * 9007199254740990, so where the text is known and may hold such a literal, the literal decides.
 */
const sentAsInteger = (v: unknown, literal: string | undefined): boolean =>
  Number.isInteger(v) && (literal === undefined || isIntegerLiteral(literal));

const isRideId = (v: unknown, literal?: string): boolean =>
  (Number.isSafeInteger(v) && sentAsInteger(v, literal)) || (typeof v === 'string' && rideIdStringProblem(v) === undefined);

/** What makes a ride id invalid, in the words of the reason. */
function rideIdExpectation(v: unknown, literal?: string): string {
  if (typeof v === 'string') return rideIdStringProblem(v) ?? 'a string';
  if (sentAsInteger(v, literal)) return `an integer from -(2^53 - 1) to 2^53 - 1, or a string`;
  return `an integer or ${RIDE_ID_STRING}`;
}

/** The fields that must be integers, by their path: the ones a rounded literal could fake. */
const INTEGER_PATHS: readonly (readonly string[])[] = [
  ['ride_id'],
  ...Object.entries(RIDE_FIELDS as Record<RideField, FieldRule>)
    .filter(([, rule]) => rule.integer)
    .map(([key]) => ['ride', key]),
];

type Check = {
  key: RideField;
  /** A ride may leave it out. */
  optional: boolean;
  /** Whether the value is valid; `literal`, the number's text as sent, when known. */
  valid: (v: unknown, literal?: string) => boolean;
  /** What a valid value is, for the reason; given the value, as out-of-range values get their own words. */
  expected: (v: unknown, literal?: string) => string;
};

/** A ride field's rule with the function's limits: numbers only, integers as sent where the rule says so. */
function checkOf(key: RideField, rule: FieldRule, limits: RideLimits): Check {
  return {
    key,
    optional: rule.optional === true,
    valid: (v, literal) =>
      typeof v === 'number' && Number.isFinite(v) && (!rule.integer || sentAsInteger(v, literal)) && rule.valid(v, limits),
    expected: (v, literal) => (rule.integer && !sentAsInteger(v, literal) ? 'an integer' : rule.expected(v, limits)),
  };
}

/**
 * Validates parsed input records against docs/design.md and the limits. Lists every
 * problem, each as `path: expected ..., got ...`. Only own properties count, so `__proto__`
 * keys are inert. Extra fields are allowed: producers may add fields before this service uses them.
 */
export class RideValidator {
  private readonly checks: readonly Check[];

  constructor(readonly limits: RideLimits = DEFAULT_RIDE_LIMITS) {
    this.checks = (Object.entries(RIDE_FIELDS) as [RideField, FieldRule][]).map(([key, rule]) => checkOf(key, rule, limits));
  }

  /**
   * A parsed record as a ride event, or the reason it is none. `text`, the JSON it was
   * parsed from, lets the reason quote numbers exactly as they were sent.
   */
  validate(record: unknown, text?: string): Validation {
    // The common case first, without building any message: it is on every record's path.
    if (isObject(record) && Object.hasOwn(record, 'ride_id') && isRideId(record.ride_id) && Object.hasOwn(record, 'ride')) {
      const ride = record.ride;
      if (isObject(ride) && this.checks.every(({ key, optional, valid }) => (Object.hasOwn(ride, key) ? valid(ride[key]) : optional))) {
        if (text !== undefined && MAY_ROUND_TO_INTEGER.test(text)) {
          const literals = new NumberLiterals(text);
          if (!this.integersSentExactly(literals)) return { ok: false, reason: this.problemsOf(record, literals).join('; ') };
        }
        // Only the schema's fields: extra ones a producer added are not carried along.
        const fields: Record<string, number> = {};
        for (const { key } of this.checks) if (Object.hasOwn(ride, key)) fields[key] = ride[key] as number;
        return { ok: true, event: { ride: fields as RideEvent['ride'], ride_id: record.ride_id as RideEvent['ride_id'] } };
      }
    }
    return { ok: false, reason: this.problemsOf(record, new NumberLiterals(text)).join('; ') };
  }

  /** Whether every integer field that is a number was sent as an integer literal. */
  private integersSentExactly(literals: NumberLiterals): boolean {
    return INTEGER_PATHS.every((path) => {
      const literal = literals.at(path);
      return literal === undefined || isIntegerLiteral(literal);
    });
  }

  /** Every way the record misses the contract; not empty when the fast check failed. */
  private problemsOf(record: unknown, literals: NumberLiterals): string[] {
    if (!isObject(record)) return [`record: expected a JSON object, got ${describeValue(record, literals.at([]))}`];
    const problems: string[] = [];
    const check = (
      path: string[],
      owner: Record<string, unknown>,
      { valid, expected, optional }: Pick<Check, 'valid' | 'expected'> & { optional?: boolean },
    ) => {
      const key = path[path.length - 1];
      const value = owner[key];
      if (!Object.hasOwn(owner, key)) {
        if (!optional) problems.push(`${path.join('.')}: missing`);
        return;
      }
      const literal = typeof value === 'number' ? literals.at(path) : undefined;
      if (!valid(value, literal))
        problems.push(`${path.join('.')}: expected ${expected(value, literal)}, got ${describeValue(value, literal)}`);
    };
    const ride = record.ride;
    if (!Object.hasOwn(record, 'ride')) problems.push('ride: missing');
    else if (!isObject(ride)) problems.push(`ride: expected an object, got ${describeValue(ride)}`);
    else for (const rule of this.checks) check(['ride', rule.key], ride, rule);
    check(['ride_id'], record, { valid: isRideId, expected: rideIdExpectation });
    return problems;
  }
}
