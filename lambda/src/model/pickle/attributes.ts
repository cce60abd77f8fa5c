/**
 * Reading a fitted estimator's attributes from the inert records the unpickler made: each
 * helper checks what it reads and names the attribute at fault.
 */
import { fail } from '../errors';
import { NdArray } from './numpy';
import { attributesOf, describePython, PyFloat, PyObject } from './python-object';

/** `sklearn.linear_model._base.LinearRegression` -> `LinearRegression`. */
export const shortName = (type: string) => type.slice(type.lastIndexOf('.') + 1);

/** An instance of one of the expected classes, with its attributes. */
export function instanceOf(value: unknown, types: readonly string[], where: string): Map<unknown, unknown> {
  if (!(value instanceof PyObject) || !types.includes(value.type)) {
    fail(where, `expected ${types.map(shortName).join(' or ')}, got ${describePython(value)}`);
  }
  return attributesOf(value as PyObject);
}

/** A fitted attribute; a missing one means the estimator was pickled before fit(). */
export function fitted(attributes: Map<unknown, unknown>, name: string, where: string): unknown {
  if (!attributes.has(name)) fail(where, `has no ${name}: it was not fitted`);
  return attributes.get(name);
}

export function ndarray(value: unknown, where: string): NdArray {
  if (!(value instanceof NdArray)) fail(where, `expected a numpy array, got ${describePython(value)}`);
  return value as NdArray;
}

/** A Python int or float (bools are not numbers here) as a number; undefined for anything else. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return value instanceof PyFloat ? value.value : undefined;
}

/**
 * A flag as scikit-learn's `if self.flag:` reads it: True or False, None (false), or a Python or
 * numpy number (1 is true, 0 false). Anything else (a string, a list) is refused: its truth is
 * Python's, not a setting any fit or constructor makes. An attribute the pickle does not hold is
 * `absent` when given (a flag added in a later scikit-learn), refused otherwise.
 */
export function flag(attributes: Map<unknown, unknown>, name: string, where: string, absent?: boolean): boolean {
  if (!attributes.has(name)) return absent ?? fail(where, `has no ${name}`);
  const value = attributes.get(name);
  if (typeof value === 'boolean') return value;
  if (value === null) return false;
  const number = numberOf(value);
  if (number !== undefined) return number !== 0;
  return fail(`${where}.${name}`, `expected True or False, got ${describePython(value)}`);
}

/** A number held as a Python number, a numpy scalar, or a numpy array of one element. */
export function singleNumber(value: unknown, where: string): number {
  const number = numberOf(value);
  if (number !== undefined) return number;
  if (value instanceof NdArray && value.size === 1) return value.toFloat64Array()[0];
  return fail(where, `expected one number, got ${describePython(value)}`);
}

/** A numeric array of one output: shape (n,) or (1, n), as float64. */
export function singleOutputArray(value: unknown, where: string): Float64Array {
  const array = ndarray(value, where);
  // A 0-d array is a scalar, which numpy's matmul (and scipy's sparse product) refuses.
  if (array.shape.length === 0) fail(where, 'a 0-d array (a scalar), which X @ coef_ refuses');
  if (array.shape.length > 2 || (array.shape.length === 2 && array.shape[0] !== 1)) {
    fail(where, `shape (${array.shape.join(', ')}): only single-output regression is served`);
  }
  return array.toFloat64Array();
}

/** A Python list (or tuple) attribute. */
export function sequence(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) fail(where, `expected a list, got ${describePython(value)}`);
  return value as unknown[];
}

/** A string attribute (a parameter such as `loss` or `handle_unknown`). */
export function text(value: unknown, where: string): string {
  if (typeof value !== 'string') fail(where, `expected a string, got ${describePython(value)}`);
  return value as string;
}
