/**
 * The checks every model spec goes through, whether it came from a model.json or from a
 * pickle: each family's `parse` uses these to name, by its path, the first thing wrong.
 */
import { isObject } from '../is-object';
import { fail } from './errors';

/** A numeric array: JSON numbers, packed (little-endian bytes in base64) as the exporter writes trees, or typed (from a pickle). */
export type NumericArray = ArrayLike<number>;

/**
 * The largest coefficient, intercept or leaf value served. A ride lasts minutes: a billion
 * (1,900 years) is no fitted model's, only a broken or hostile one's, whose predictions would
 * be garbage or overflow.
 */
export const MAX_PARAMETER_MAGNITUDE = 1e9;

export function objectAt(value: unknown, path: string, what = 'an object'): Record<string, unknown> {
  if (!isObject(value)) fail(path, `expected ${what}`);
  return value;
}

export function field(parent: Record<string, unknown>, key: string, path: string): unknown {
  if (!Object.hasOwn(parent, key)) fail(`${path}.${key}`, 'missing');
  return parent[key];
}

export function stringAt(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'expected a string');
  return value;
}

export function booleanAt(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'expected true or false');
  return value;
}

export function oneOf<T extends string>(value: unknown, choices: readonly T[], path: string): T {
  if (!choices.includes(value as T)) fail(path, `expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'expected a finite number');
  return value;
}

export function integerAt(value: unknown, path: string, min = 0): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) fail(path, `expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value as number;
}

/** Finite and of a sane magnitude; false for NaN too. */
const isSaneParameter = (value: number) => Math.abs(value) <= MAX_PARAMETER_MAGNITUDE;

/** `path()` builds the message's path only when the check fails: it runs for every leaf of a forest. */
export function checkParameter(value: number, path: () => string): number {
  if (isSaneParameter(value)) return value;
  if (!Number.isFinite(value)) fail(path(), `${value} is not a finite number`);
  return fail(path(), `${value} is beyond ${MAX_PARAMETER_MAGNITUDE.toExponential()}, no fitted ride-duration model's`);
}

/** A model parameter (intercept, initial prediction): finite and of a sane magnitude. */
export function parameter(value: unknown, path: string): number {
  if (typeof value !== 'number') fail(path, 'expected a number');
  return checkParameter(value, () => path);
}

const PACKED = { int32: Int32Array, float64: Float64Array } as const;

/** Packed arrays decode straight into typed arrays: no JSON number parsing, no copy. */
function unpack(value: Record<string, unknown>, path: string): Int32Array | Float64Array {
  const type = PACKED[value.dtype as keyof typeof PACKED];
  if (type === undefined || typeof value.base64 !== 'string') {
    fail(path, `expected an array of numbers, or {"dtype": "int32" | "float64", "base64": "..."}`);
  }
  const bytes = Buffer.from(value.base64, 'base64');
  if (bytes.length % type.BYTES_PER_ELEMENT !== 0) fail(path, `${bytes.length} bytes is not a whole number of ${value.dtype} values`);
  // Typed arrays read in the platform's byte order; every platform Lambda runs on is little-endian.
  const aligned = bytes.byteOffset % type.BYTES_PER_ELEMENT === 0 ? bytes : new Uint8Array(bytes); // a fresh, aligned copy
  return new type(aligned.buffer, aligned.byteOffset, bytes.length / type.BYTES_PER_ELEMENT);
}

/** What the numbers of an array must be: integers, finite numbers, or any number but NaN (split thresholds may be infinite). */
export type NumberKind = 'integer' | 'finite' | 'not NaN';

const EXPECTED: Record<NumberKind, string> = { integer: 'an integer', finite: 'a finite number', 'not NaN': 'a number (not NaN)' };

const VALID: Record<NumberKind, (v: number) => boolean> = {
  integer: Number.isInteger,
  finite: Number.isFinite,
  'not NaN': (v) => !Number.isNaN(v),
};

export function numberArray(value: unknown, path: string, kind: NumberKind = 'finite'): NumericArray {
  const array: ArrayLike<unknown> = ArrayBuffer.isView(value)
    ? (value as unknown as ArrayLike<number>)
    : isObject(value)
      ? unpack(value, path)
      : Array.isArray(value)
        ? value
        : fail(path, 'expected an array of numbers');
  if (array instanceof Int32Array) return array;
  const valid = VALID[kind];
  // Typed arrays hold numbers only: the common packed case needs one pass over the values.
  if (array instanceof Float64Array && kind !== 'integer' && (kind === 'finite' ? array.every(Number.isFinite) : !array.some(Number.isNaN)))
    return array;
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (typeof v !== 'number' || !valid(v))
      fail(`${path}[${i}]`, `expected ${EXPECTED[kind]}, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  }
  return array as NumericArray;
}

/** An array of finite parameters of a sane magnitude, of the given length when one is given. */
export function parameterArray(value: unknown, path: string, length?: number): NumericArray {
  const array = numberArray(value, path);
  if (length !== undefined && array.length !== length) fail(path, `has ${array.length} entries, expected ${length}`);
  for (let i = 0; i < array.length; i++) checkParameter(array[i], () => `${path}[${i}]`);
  return array;
}

export function arrayAt(value: unknown, path: string, what = 'an array'): unknown[] {
  if (!Array.isArray(value)) fail(path, `expected ${what}`);
  return value;
}

export function stringArray(value: unknown, path: string): string[] {
  const array = arrayAt(value, path, 'an array of strings');
  array.forEach((item, i) => {
    if (typeof item !== 'string') fail(`${path}[${i}]`, 'expected a string');
  });
  return array as string[];
}
