/**
 * Reads a pickle (protocols 2 to 5) behind an allowlist: every global the pickle names must be
 * one of `allowlist.ts`, matched exactly, and is rebuilt as an inert record or a numpy array.
 * Nothing from the file is executed, unlike Python's `pickle.load`, which runs whatever
 * callable the file names. The opcodes are read as CPython reads them (unpickler.ts).
 */
import { ModelFormatError } from '../errors';
import { withLoadBudget } from '../limits';
import { adviceFor, allowedGlobal, supportedEstimators } from './allowlist';
import { joblibCompression, unreadableKind } from './joblib-kinds';
import { PickleInput, PickleStreamError } from './pickle-input';
import { unpickleStream } from './unpickler';

/** A global the allowlist does not hold; `global` is its `module.name`. */
export class UnsupportedGlobalError extends ModelFormatError {
  override name = 'UnsupportedGlobalError';

  constructor(readonly global: string) {
    const advice = adviceFor(global);
    super(
      `it needs ${global}, which this runtime does not evaluate ` +
        `(supported: ${supportedEstimators().join(', ')})` +
        (advice ? `; ${advice}` : ''),
    );
  }
}

const ALLOWLIST = {
  resolve(module: string, name: string) {
    const global = allowedGlobal(module, name);
    if (global === undefined) throw new UnsupportedGlobalError(`${module}.${name}`);
    return global;
  },
};

/**
 * Reads one pickle from `input` (a joblib file holds more than one), rebuilding allowlisted
 * globals only; throws ModelFormatError otherwise.
 */
export function unpickleFrom(input: PickleInput): unknown {
  try {
    return unpickleStream(input, ALLOWLIST);
  } catch (error) {
    throw asReadFault(error);
  }
}

/**
 * An error of unpickling as the model's refusal: the model's faults (a global, a dtype, a
 * limit) as they are, the stream's as the stream's.
 */
export function asReadFault(error: unknown): ModelFormatError {
  if (error instanceof ModelFormatError && !(error instanceof PickleStreamError)) return error;
  // Values within values (tuples in tuples, say) deeper than the call stack goes.
  const reason =
    error instanceof RangeError && /call stack/i.test(error.message)
      ? "its values are nested too deeply to read (the call stack ran out), which no real model's are"
      : (error as Error).message;
  return new ModelFormatError(`not a pickle this runtime can read (${reason})`, { cause: error });
}

/**
 * The object a pickle holds, rebuilt from allowlisted globals only; throws ModelFormatError otherwise.
 *
 * @example
 * ```ts
 * const root = unpickle(readFileSync('model.pkl')); // a PyObject of sklearn.pipeline.Pipeline
 * ```
 */
export function unpickle(bytes: Uint8Array): unknown {
  if (bytes[0] !== 0x80) {
    const kind = unreadableKind(bytes) ?? (joblibCompression(bytes) && `a joblib file compressed with ${joblibCompression(bytes)}`);
    throw new ModelFormatError(
      `not a pickle of protocol 2 or later (it does not start with the PROTO opcode)${kind ? `: it is ${kind}` : ''}`,
    );
  }
  // A plain Uint8Array view: sub-arrays are then plain too, never Node Buffers of a shared pool.
  const input = new PickleInput(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return withLoadBudget(() => unpickleFrom(input));
}
