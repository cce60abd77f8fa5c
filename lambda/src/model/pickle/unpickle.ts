/**
 * Reads a pickle with pickleparser (protocols 0 to 5) behind an allowlist: every global the
 * pickle names must be one of `allowlist.ts`, matched exactly, and is rebuilt as an inert
 * record or a numpy array. Nothing from the file is executed, unlike Python's `pickle.load`,
 * which runs whatever callable the file names.
 */
import { Parser } from 'pickleparser';
import { ModelFormatError } from '../format';
import { adviceFor, allowedGlobal, SUPPORTED_REGRESSOR_NAMES } from './allowlist';

/** A global the allowlist does not hold; `global` is its `module.name`. */
export class UnsupportedGlobalError extends ModelFormatError {
  override name = 'UnsupportedGlobalError';

  constructor(readonly global: string) {
    const advice = adviceFor(global);
    super(
      `it needs ${global}, which this runtime does not evaluate ` +
        `(supported: a Pipeline or (DictVectorizer, regressor) tuple of a DictVectorizer and one of ${SUPPORTED_REGRESSOR_NAMES.join(', ')})` +
        (advice ? `; ${advice}` : ''),
    );
  }
}

const refuse = (what: string) => () => {
  throw new ModelFormatError(`the pickle refers to ${what}, which a model pickle never needs`);
};

/** The object a pickle holds, rebuilt from allowlisted globals only; throws ModelFormatError otherwise. */
export function unpickle(bytes: Uint8Array): unknown {
  const parser = new Parser({
    nameResolver: {
      resolve(module: unknown, name: unknown) {
        if (typeof module !== 'string' || typeof name !== 'string') throw new ModelFormatError('a global whose name is not text');
        const global = allowedGlobal(module, name);
        if (global === undefined) throw new UnsupportedGlobalError(`${module}.${name}`);
        return global;
      },
    },
    persistentResolver: { resolve: refuse('a persistent id') },
    extensionResolver: { resolve: refuse('an extension code') },
    // Dicts as Maps: a key such as "__proto__" stays a key and never reaches a prototype.
    unpicklingTypeOfDictionary: 'Map',
    unpicklingTypeOfSet: 'array',
  });
  if (bytes[0] !== 0x80) throw new ModelFormatError('not a pickle of protocol 2 or later (it does not start with the PROTO opcode)');
  try {
    // A plain Uint8Array view: the parser's sub-arrays are then plain too, never Node Buffers of a shared pool.
    return parser.parse(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`not a pickle this runtime can read (${(error as Error).message})`);
  }
}
