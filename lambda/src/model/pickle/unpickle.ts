/**
 * Reads a pickle with pickleparser (protocols 0 to 5) behind an allowlist: every global the
 * pickle names must be one of `allowlist.ts`, matched exactly, and is rebuilt as an inert
 * record or a numpy array. Nothing from the file is executed, unlike Python's `pickle.load`,
 * which runs whatever callable the file names.
 */
import { BufferReader, Parser } from 'pickleparser';
import { ModelFormatError } from '../errors';
import { adviceFor, allowedGlobal, supportedEstimators } from './allowlist';

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

/** The opcodes of integers too large for a 4-byte BININT: a length byte (LONG1) or a 4-byte length (LONG4), then the bytes. */
const LONG1 = 0x8a;
const LONG4 = 0x8b;

/**
 * pickleparser's reader, refusing the integers its parser decodes wrongly: negative LONG1
 * integers, read as unsigned (-2**40 would become 280375465082880), and any LONG4, decoded in
 * time quadratic in its length (a 1 MB integer takes minutes: a start that never ends). A
 * model's integers are counts, indices and seeds, never negative beyond 32 bits nor 256 bytes
 * long. The parser reads an opcode with byte() and its length at once after it, so a length
 * read straight after the byte of LONG1 or LONG4 is that opcode's.
 */
class ModelPickleReader extends BufferReader {
  // The last two bytes read with byte(), and where each read ended.
  private last = -1;
  private lastEnd = -1;
  private beforeLast = -1;
  private beforeLastEnd = -1;

  override byte(): number {
    const value = super.byte();
    this.beforeLast = this.last;
    this.beforeLastEnd = this.lastEnd;
    this.last = value;
    this.lastEnd = this.position;
    return value;
  }

  override uint32(): number {
    if (this.last === LONG4 && this.lastEnd === this.position) {
      throw new ModelFormatError('the pickle holds an integer of 256 bytes or more (LONG4), which no model needs');
    }
    return super.uint32();
  }

  override bytes(length: number): Uint8Array {
    const data = super.bytes(length) as Uint8Array;
    const isLong1 = this.beforeLast === LONG1 && this.beforeLastEnd + 1 === this.lastEnd && this.lastEnd + length === this.position;
    if (isLong1 && length > 0 && (data[length - 1] & 0x80) !== 0) {
      throw new ModelFormatError(`the pickle holds a negative integer of ${length} bytes (LONG1), which this reader cannot read exactly`);
    }
    return data;
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
    return parser.read(new ModelPickleReader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`not a pickle this runtime can read (${(error as Error).message})`);
  }
}
