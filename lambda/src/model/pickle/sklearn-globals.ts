/**
 * The scikit-learn globals that a pickle calls, or names as values, rather than instantiating
 * as plain records: the Cython `Tree` (checked as scikit-learn checks it when unpickled), the
 * Cython halves of the common losses, functions held as values (an early-stopping scorer's
 * metric, a FunctionTransformer's ufunc) and `slice` (a ColumnTransformer's output indices).
 * The families list them among their `parts`; pickle/allowlist.ts allows them.
 */
import { ModelFormatError } from '../errors';
import { describePython, isTuple, PyFloat, PyGlobal, PyObject, pythonCallable, pythonClass } from './python-object';
import { checkTreeState } from './sklearn-tree';

/** sklearn.tree._tree.Tree: `Tree(n_features, n_classes, n_outputs)` by REDUCE, then its state, checked as its `__setstate__` checks it. */
export const treeClass = (name: string): PyGlobal => pythonClass(name, { callable: true, checkState: checkTreeState });

/** A function used as a value: Python never calls it while unpickling, and neither does this runtime. */
export const functionValue = (name: string): PyGlobal => new PyGlobal(name, 'function', () => undefined, false);

/** `slice(stop)`, `slice(start, stop)` or `slice(start, stop, step)` of ints or None: an inert record. */
export const sliceClass = (name: string): PyGlobal =>
  pythonCallable(
    name,
    (...args) => {
      const bound = (v: unknown) => v === null || (typeof v === 'number' && Number.isSafeInteger(v));
      if (args.length < 1 || args.length > 3 || !args.every(bound)) {
        throw new ModelFormatError(`${name} of ${args.map(describePython).join(', ')}`);
      }
      return new PyObject(name, args);
    },
    'class',
  );

/** The checksums Cython's `__pyx_unpickle_*` accepts, by the parameters of the class (scikit-learn before 1.4 pickled losses so). */
const CYTHON_CHECKSUMS: Readonly<Record<string, readonly number[]>> = {
  '': [0xd41d8cd, 0xe3b0c44, 0xda39a3e],
  quantile: [0x2494662, 0xde00222, 0x2c73eaf],
  // Cython's md5, sha256 and sha1 of the member's name, as for quantile: HalfTweedieLoss(Identity) and HuberLoss.
  power: [0x62cd275, 0x07d715e, 0xb573f24],
  delta: [0x63bcabf, 0x4f4a941, 0x736fcab],
};

const isNumber = (value: unknown) => typeof value === 'number' || value instanceof PyFloat;

/**
 * A Cython loss (`sklearn._loss._loss.Cy<loss>`, or `_loss.Cy<loss>` from scikit-learn 1.5 and
 * 1.6), as Python makes it: by REDUCE of the class with its parameter (scikit-learn 1.4 and later), or by `__pyx_unpickle_Cy<loss>(class,
 * checksum, state)` (before), which checks the checksum and reads the parameter from the state.
 */
export function cythonLoss(loss: string, parameter: string | undefined): PyGlobal[] {
  const name = `sklearn._loss._loss.Cy${loss}`;
  const arity = parameter === undefined ? 0 : 1;
  const construct = (...args: unknown[]) => {
    if (args.length !== arity || !args.every(isNumber))
      throw new ModelFormatError(`${name} with arguments ${args.map(describePython).join(', ')}`);
    return new PyObject(name, args);
  };
  const cls = pythonCallable(name, construct, 'class');
  // scikit-learn 1.5 and 1.6, built with meson, gave the Cython classes the module `_loss` (registered
  // in sys.modules as sklearn._loss._loss), so their pickles name `_loss.Cy<loss>`: the same class.
  const builtWithMeson = pythonCallable(`_loss.Cy${loss}`, construct, 'class');
  const unpickle = pythonCallable(`sklearn._loss._loss.__pyx_unpickle_Cy${loss}`, (...args) => {
    const [type, checksum, state] = args;
    const checksums = CYTHON_CHECKSUMS[parameter ?? ''];
    if (args.length !== 3 || type !== cls) throw new ModelFormatError(`__pyx_unpickle_Cy${loss} of ${describePython(type)}`);
    if (checksums === undefined || !checksums.includes(checksum as number))
      throw new ModelFormatError(`__pyx_unpickle_Cy${loss}: incompatible checksums`);
    if (state !== null && !isTuple(state)) throw new ModelFormatError(`__pyx_unpickle_Cy${loss} with a state that is not a tuple`);
    if (arity > 0 && (!isTuple(state) || state.length < 1 || !isNumber(state[0])))
      throw new ModelFormatError(`__pyx_unpickle_Cy${loss} without its ${parameter}`);
    return new PyObject(name, isTuple(state) ? state.slice(0, arity) : []);
  });
  return [cls, builtWithMeson, unpickle];
}
