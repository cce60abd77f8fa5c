/**
 * joblib files, which scikit-learn's documentation recommends: `joblib.dump(model, path)`, as
 * `joblib.load` reads them. The file is a pickle in which each numpy array is a
 * `NumpyArrayWrapper` whose BUILD is followed, in the stream itself, by the array's bytes (after
 * a padding byte count and the padding, since joblib 1.2), or, for an object array, by a nested
 * pickle of it. Compressed with zlib or gzip, it is inflated first, no further than the limit.
 * Other compressions, and joblib's formats before 0.10 (ZF files, NDArrayWrapper's separate
 * .npy files), are refused by name.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { fail as failAt, ModelFormatError } from '../errors';
import { activeLimits, withLoadBudget } from '../limits';
import { allowedGlobal } from './allowlist';
import { joblibCompression } from './joblib-kinds';
import { NdArray, NumpyDtype } from './numpy';
import { PickleInput } from './pickle-input';
import { isTuple, PyObject, pythonClass } from './python-object';
import { asReadFault, UnsupportedGlobalError, unpickleFrom } from './unpickle';
import { unpickleStream } from './unpickler';

const WRAPPER = 'joblib.numpy_pickle.NumpyArrayWrapper';
const NUMPY_ARRAY_WRAPPER = pythonClass(WRAPPER);

const fail = (problem: string): never => failAt('joblib', problem);

/** The pickle inside: inflated when compressed, never beyond the limit (a small file can inflate without end). */
function inflated(bytes: Uint8Array): Uint8Array {
  const compression = joblibCompression(bytes);
  if (compression === undefined || bytes[0] === 0x80) return bytes;
  const limit = activeLimits().inflatedBytes;
  try {
    const out = compression === 'gzip' ? gunzipSync(bytes, { maxOutputLength: limit }) : inflateSync(bytes, { maxOutputLength: limit });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') fail(`the ${compression} file inflates to more than ${limit / 2 ** 20} MiB, beyond any model's`);
    return fail(`not a ${compression} stream (${(error as Error).message})`);
  }
}

/** The array a NumpyArrayWrapper stands for, read from the stream after its BUILD, as joblib's read_array reads it. */
function readWrappedArray(wrapper: PyObject, input: PickleInput): NdArray {
  const state = wrapper.attributes;
  const subclass = state.get('subclass');
  const shape = state.get('shape');
  const order = state.get('order');
  const dtype = state.get('dtype');
  if (subclass !== allowedGlobal('numpy', 'ndarray')) fail('an array of a numpy subclass (only plain numpy arrays are served)');
  if (!(dtype instanceof NumpyDtype)) return fail('an array wrapper without a numpy dtype');
  if (order !== 'C' && order !== 'F') fail('an array wrapper without its order');
  if (!isTuple(shape)) return fail('an array wrapper without its shape');
  // joblib's Python unpickler has read the whole frame ahead, and reads the array's bytes from the
  // file after it; joblib's writer ends the frame at the wrapper's BUILD, so both read the same bytes.
  if (input.insideFrame)
    fail("an array wrapper's BUILD inside a pickle frame (joblib would read the array's bytes after the frame, not here)");
  if (dtype.kind === 'O') {
    // An object array: a pickle of its own, as pickle.load (not joblib's unpickler) reads it.
    const nested = unpickleFrom(input);
    if (!(nested instanceof NdArray)) return fail('an object array whose nested pickle is not a numpy array');
    return nested;
  }
  const alignment = state.get('numpy_array_alignment_bytes');
  if (alignment !== undefined && alignment !== null) input.take(input.take(1)[0]);
  const count = shape.reduce((n: number, d) => n * (d as number), 1);
  if (!Number.isSafeInteger(count)) fail('an array shape whose size is beyond 2^53');
  return new NdArray().fill(shape, dtype, order === 'F', input.take(count * dtype.itemSize));
}

/** The allowlist, and joblib's array wrapper, read as joblib's NumpyUnpickler reads it. */
const JOBLIB_NAMES = {
  resolve(module: string, name: string) {
    if (`${module}.${name}` === WRAPPER) return NUMPY_ARRAY_WRAPPER;
    if (module === 'joblib.numpy_pickle_compat') {
      throw new ModelFormatError(
        `joblib: it needs ${module}.${name}: a joblib file of joblib before 0.10, with its arrays in separate .npy files, which this runtime does not read`,
      );
    }
    const global = allowedGlobal(module, name);
    if (global === undefined) throw new UnsupportedGlobalError(`${module}.${name}`);
    return global;
  },
};

/**
 * The object a joblib file holds, rebuilt from allowlisted globals only. A plain pickle reads
 * as itself, as `joblib.load` reads one.
 *
 * @example
 * ```ts
 * const root = unjoblib(readFileSync('model.joblib')); // a PyObject of sklearn.pipeline.Pipeline
 * ```
 */
export function unjoblib(bytes: Uint8Array): unknown {
  return withLoadBudget(() => {
    const pickle = inflated(bytes);
    if (pickle[0] !== 0x80) throw new ModelFormatError('not a pickle of protocol 2 or later (it does not start with the PROTO opcode)');
    const input = new PickleInput(new Uint8Array(pickle.buffer, pickle.byteOffset, pickle.byteLength));
    try {
      return unpickleStream(input, JOBLIB_NAMES, {
        afterBuild: (target) => (target instanceof PyObject && target.type === WRAPPER ? readWrappedArray(target, input) : undefined),
      });
    } catch (error) {
      throw asReadFault(error);
    }
  });
}
