/**
 * numpy's ufuncs as a pickle names them (a FunctionTransformer's func and inverse_func): by
 * numpy 2 as `numpy.expm1`, by numpy 1 as `numpy.core._multiarray_umath.expm1`. They are
 * allowed as names only, never called; a family decides which it serves.
 */

/** The ufuncs a target transform is commonly fitted with; any other is refused by the unpickler, by name. */
const UFUNCS = [
  'exp',
  'expm1',
  'log',
  'log1p',
  'log2',
  'log10',
  'exp2',
  'sqrt',
  'square',
  'cbrt',
  'reciprocal',
  'negative',
  'absolute',
  'sinh',
  'arcsinh',
  'tanh',
  'arctanh',
];

const MODULES = ['numpy', 'numpy.core._multiarray_umath', 'numpy._core._multiarray_umath', 'numpy.core.umath', 'numpy._core.umath'];

export const NUMPY_UFUNCS: readonly string[] = MODULES.flatMap((module) => UFUNCS.map((name) => `${module}.${name}`));

/** `numpy.core._multiarray_umath.expm1` -> `expm1`; undefined for a name that is not one of those ufuncs. */
export function ufuncName(qualifiedName: string): string | undefined {
  const at = qualifiedName.lastIndexOf('.');
  const [module, name] = [qualifiedName.slice(0, at), qualifiedName.slice(at + 1)];
  return MODULES.includes(module) && UFUNCS.includes(name) ? name : undefined;
}
