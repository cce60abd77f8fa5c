/**
 * The pickle reader, opcode by opcode, on streams written by hand: each value read as CPython's
 * pickle reads it, or refused with a message where it would differ (issue 18's cases, and the
 * other places where pickleparser 0.2.1 differs from CPython).
 */
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../lambda/src/model/format';
import { LoadBudget, MODEL_LIMITS, withLoadBudget } from '../../lambda/src/model/limits';
import type { NdArray } from '../../lambda/src/model/pickle/numpy';
import { isTuple, PyFloat, PyObject } from '../../lambda/src/model/pickle/python-object';
import { unpickle } from '../../lambda/src/model/pickle/unpickle';

/** Pickle opcodes by hand: strings are opcodes (or text), numbers raw bytes, arrays spread. */
type Piece = string | number | Piece[];
const text = (value: string): Piece[] => [0x8c, Buffer.byteLength(value), ...Buffer.from(value)]; // SHORT_BINUNICODE
const global = (module: string, name: string): Piece[] => ['c', `${module}\n${name}\n`]; // GLOBAL
const int = (value: number): Piece[] => ['J', ...Buffer.from(Int32Array.of(value).buffer)]; // BININT
function craft(...pieces: Piece[]): Uint8Array {
  const bytes: number[] = [0x80, 4]; // PROTO 4
  const add = (piece: Piece): void => {
    if (Array.isArray(piece)) piece.forEach(add);
    else if (typeof piece === 'string') bytes.push(...Buffer.from(piece, 'latin1'));
    else bytes.push(piece);
  };
  pieces.forEach(add);
  return Uint8Array.from(bytes);
}
const read = (...pieces: Piece[]) => unpickle(craft(...pieces, '.'));
const refusal = (...pieces: Piece[]) => {
  try {
    read(...pieces);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFormatError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
};
const stream = (problem: string) => `not a pickle this runtime can read (${problem})`;

describe('text-protocol numbers, as Python writes them or refused', () => {
  it('INT and LONG in decimal read exactly; I01 and I00 are True and False', () => {
    expect(read('I1\n')).toBe(1);
    expect(read('I-42\n')).toBe(-42);
    expect(read('I01\n')).toBe(true);
    expect(read('I00\n')).toBe(false);
    expect(read('L10L\n')).toBe(10);
    expect(read('L123456789012345678901234567890L\n')).toBe(123456789012345678901234567890n);
    expect(Object.is(read('I-0\n'), 0)).toBe(true);
  });

  it('INT I0x1 (1 for CPython, 0 for pickleparser) and LONG L1_0 (10 for CPython, 1 for pickleparser) are refused', () => {
    expect(refusal('I0x1\n')).toBe(stream('an INT opcode with the text "0x1", which is not a plain decimal'));
    expect(refusal('L1_0\n')).toBe(stream('an LONG opcode with the text "1_0", which is not a plain decimal'));
    expect(refusal('I010\n')).toBe(stream('an INT opcode with the text "010", which is not a plain decimal'));
  });

  it('FLOAT reads repr() text; an overflowing literal (an error in CPython, Infinity in JavaScript) is refused', () => {
    expect(read('F0.1\n')).toEqual(new PyFloat(0.1));
    expect((read('Fnan\n') as PyFloat).value).toBeNaN();
    expect(refusal('F1e999\n')).toBe(stream('a FLOAT opcode whose value 1e999 overflows a double'));
    expect(refusal('F1.5abc\n')).toBe(stream('a FLOAT opcode with the text "1.5abc"'));
  });

  it('PUT and GET take decimal indices; a GET of an index never PUT is refused (pickleparser: undefined)', () => {
    expect(read(']', 'p7\n', '0', 'g7\n')).toEqual([]);
    expect(refusal('N', 'h', 5)).toBe(stream('Memo value not found at index 5'));
    expect(refusal('N', 'p0x1\n')).toBe(stream('a memo index "0x1" that is not a decimal number'));
  });
});

describe('integers of LONG1 and LONG4, exact', () => {
  it("negative LONG1 in two's complement (pickleparser: unsigned), beyond 2^53 as a bigint (pickleparser: rounded)", () => {
    expect(read(0x8a, 6, 0, 0, 0, 0, 0, 0xff)).toBe(-(2 ** 40));
    expect(read(0x8a, 8, 1, 0, 0, 0, 0, 0, 0, 0x10)).toBe(2n ** 60n + 1n);
    expect(read(0x8a, 0)).toBe(0);
  });

  it('LONG4 exact, a negative count refused, beyond 1 KiB refused', () => {
    expect(read(0x8b, 2, 0, 0, 0, 0xff, 0x7f)).toBe(0x7fff);
    expect(refusal(0x8b, 0xff, 0xff, 0xff, 0xff)).toBe(stream('LONG pickle has negative byte count'));
    expect(refusal(0x8b, 0, 8, 0, 0)).toBe(stream('the pickle holds an integer of 2048 bytes (LONG4), which no model needs'));
  });
});

describe('strings byte for byte', () => {
  it('a leading U+FEFF stays (pickleparser drops it): "\\ufeffPU_DO=79_79" is not "PU_DO=79_79"', () => {
    expect(read(text('\ufeffPU_DO=79_79'))).toBe('\ufeffPU_DO=79_79');
    expect(read(text('\ufeff='))).toBe('\ufeff=');
  });

  it('invalid UTF-8 is refused (pickleparser replaces it with U+FFFD); a lone surrogate too', () => {
    expect(refusal(0x8c, 2, 0xc3, 0x28)).toBe(
      stream('a string that is not UTF-8 (or holds a lone surrogate, which this reader does not keep)'),
    );
    expect(refusal(0x8c, 3, 0xed, 0xa0, 0x80)).toContain('lone surrogate');
  });

  it('Python 2 strings are ASCII, strictly (pickleparser decodes windows-1252)', () => {
    expect(read('U', 2, 'ab')).toBe('ab');
    expect(refusal('U', 1, 0x80)).toBe(stream('a Python 2 string with the byte 0x80, which is not ASCII'));
    expect(refusal('T', 0xff, 0xff, 0xff, 0xff)).toBe(stream('BINSTRING pickle has negative byte count'));
  });

  it("STRING with its quotes and escapes, as CPython's escape decoding reads it", () => {
    expect(read("S'a\\x41\\101\\n\\'b'\n")).toBe("aAA\n'b");
    expect(read('S"x"\n')).toBe('x');
    expect(refusal("S'abc\n")).toBe(stream('the STRING opcode argument must be quoted'));
    expect(refusal("S'\\q'\n")).toBe(stream('a STRING opcode with the escape \\q'));
  });

  it('UNICODE in raw-unicode-escape: \\uXXXX escapes, other bytes latin-1, a backslash pair kept', () => {
    expect(read('V\\u0041\xe9\\\\u0041\n')).toBe('A\u00e9\\\\u0041');
    expect(read('V\\U0001F600\n')).toBe('\u{1f600}');
    expect(refusal('V\\ud800\n')).toBe(stream('a UNICODE opcode with an escaped surrogate, which this reader does not keep'));
  });

  it('BINBYTES takes an unsigned length (pickleparser: signed, and a negative one read backwards)', () => {
    expect(refusal('B', 0xf0, 0xff, 0xff, 0xff)).toBe(stream('pickle data was truncated (4294967280 bytes wanted, 1 left)'));
  });
});

describe('structure as CPython builds it', () => {
  it('tuples and lists apart: APPEND to a tuple is refused, REDUCE takes only a tuple of arguments', () => {
    expect(isTuple(read(')'))).toBe(true);
    expect(isTuple(read(']'))).toBe(false);
    expect(refusal(')', 'N', 'a')).toBe(stream('APPEND on a tuple of 0, not a list'));
    expect(refusal(global('builtins', 'bytes'), ']', 'R')).toBe(stream('REDUCE with arguments that are a list of 0, not a tuple'));
    expect(refusal(global('numpy.core.multiarray', '_reconstruct'), ')', 0x81)).toContain(
      "NEWOBJ class argument numpy.core.multiarray._reconstruct isn't a type object",
    );
  });

  it('DICT makes a dict of its pairs (pickleparser set them as properties of a Map)', () => {
    const dict = read('(', text('a'), 'K', 1, text('__proto__'), 'K', 2, 'd') as Map<unknown, unknown>;
    expect([...dict]).toEqual([
      ['a', 1],
      ['__proto__', 2],
    ]);
    expect(refusal('(', text('a'), 'd')).toBe(stream('odd number of items for DICT'));
  });

  it('a dict key Python cannot hash, or one a Map would compare otherwise, is refused', () => {
    expect(refusal('}', ']', 'N', 's')).toBe(stream('a dict key that is a list of 0, which Python cannot hash (unhashable type)'));
    expect(refusal('}', 0x88, 'N', 's')).toBe(stream('a dict key that is True; this reader keeps only str and int keys'));
  });

  it('stack and mark underflow are refused (pickleparser popped undefined)', () => {
    expect(refusal()).toBe(stream('unpickling stack underflow'));
    expect(refusal('N', 't')).toBe(stream('could not find MARK'));
    expect(refusal('(', 0x85)).toBe(stream('unpickling stack underflow'));
    expect(read('N', '(', '0')).toBeNull(); // POP of a MARK, as CPython's load_pop
  });

  it('BUILD on a list is refused (pickleparser Object.assigned it: a length of 2^32-1 hung the start)', () => {
    const length = ['}', text('length'), 'J', 0xff, 0xff, 0xff, 0x7f, 's'];
    expect(refusal(']', length, 'b')).toBe(stream('BUILD on a list of 0, which has no state to set'));
    expect(refusal('}', '}', 'b')).toBe(stream('BUILD on a dict, which has no state to set'));
  });

  it('a second BUILD on one object, and state keys that are not attribute names, are refused', () => {
    const tree = [global('sklearn.linear_model._base', 'LinearRegression'), ')', 0x81];
    expect(read(tree, '}', text('coef_'), 'N', 's', 'b')).toBeInstanceOf(PyObject);
    expect(refusal(tree, '}', 'b', '}', 'b')).toBe(
      'a second BUILD on one sklearn.linear_model._base.LinearRegression, which no pickler writes',
    );
    expect(refusal(tree, '}', text('not a name'), 'N', 's', 'b')).toBe(
      'a BUILD state of sklearn.linear_model._base.LinearRegression with the key "not a name", which is not an attribute name',
    );
    expect(refusal(tree, ']', 'b')).toBe('a BUILD state of sklearn.linear_model._base.LinearRegression that is a list of 0, not a dict');
  });

  it("__builtin__ is builtins only before protocol 3, as CPython's fix_imports maps it", () => {
    const bytesAt = (protocol: number) => Uint8Array.from([0x80, protocol, ...Buffer.from('c__builtin__\nbytes\n)R.', 'latin1')]);
    expect(unpickle(bytesAt(2))).toEqual(new Uint8Array(0));
    expect(() => unpickle(bytesAt(3))).toThrow('it needs __builtin__.bytes, which this runtime does not evaluate');
  });
});

describe('numpy arrays and dtypes as numpy writes them', () => {
  const dtype = (spec: string, state: Piece[]) => [global('numpy', 'dtype'), text(spec), 0x89, 0x88, 0x87, 'R', state, 'b'];
  const f8State = (elsize: number) => ['(', 'K', 3, text('<'), 'N', 'N', 'N', int(elsize), int(-1), 'K', 0, 't'];

  it('a dtype whose state is not the one numpy writes for it is refused (numpy trusts it: a float64 of elsize 4 stays float64)', () => {
    expect(refusal(dtype('f8', f8State(4)))).toBe('numpy dtype <f8 with elsize 4 and alignment -1, not what numpy writes for it');
    expect(refusal(dtype('f8', ['(', 'K', 3, text('|'), 'N', 'N', 'N', int(-1), int(-1), 'K', 0, 't']))).toBe(
      'numpy dtype <f8 with byte order "|", not what numpy writes for it',
    );
    expect(refusal(dtype('f3', f8State(-1)))).toBe('numpy dtype "f3" is not one this runtime reads');
    expect(read(dtype('f8', f8State(-1)))).toMatchObject({ kind: 'f', itemSize: 8, byteOrder: '<' });
  });

  it('a record field past the end of its records is refused', () => {
    const f8 = dtype('f8', f8State(-1));
    const record = dtype('V8', [
      '(',
      'K',
      3,
      text('|'),
      'N',
      text('a'),
      0x85,
      '}',
      text('a'),
      f8,
      'K',
      4,
      0x86,
      's',
      'K',
      8,
      'K',
      1,
      'K',
      16,
      't',
    ]);
    expect(refusal(record)).toBe('structured numpy dtype field "a" does not fit its 8-byte records');
  });

  it('an array of more than 32 dimensions is refused (it took 78 s with 120,000)', () => {
    const shape = ['(', ...Array.from({ length: 33 }, () => ['K', 1]), 't'];
    const array = [global('numpy.core.multiarray', '_reconstruct'), global('numpy', 'ndarray'), 'K', 0, 0x85, 'C', 1, 'b', 0x87, 'R'];
    const state = ['(', 'K', 1, shape, dtype('f8', f8State(-1)), 0x89, 'C', 8, ...Array(8).fill(0), 't'];
    expect(refusal(array, state, 'b')).toBe("a numpy array of 33 dimensions; numpy reads at most 32 (and a model's arrays have at most 3)");
    const oneDimension = ['(', 'K', 1, ['K', 1, 0x85], dtype('f8', f8State(-1)), 0x89, 'C', 8, ...Array(8).fill(0), 't'];
    expect((read(array, oneDimension, 'b') as NdArray).toFloat64Array()).toEqual(Float64Array.of(0));
  });
});

describe('limits a crafted stream reaches before the heap does', () => {
  /** PROTO 4, NONE, `count` times one opcode, STOP. */
  const repeated = (opcode: number, count: number) => {
    const bytes = new Uint8Array(count + 4).fill(opcode);
    bytes.set([0x80, 4, 0x4e]);
    bytes[bytes.length - 1] = 0x2e;
    return bytes;
  };

  it('DUP past 4,000,000 values on the stack is refused (130 million of them exhausted the heap)', () => {
    expect(() => unpickle(repeated(0x32, MODEL_LIMITS.pickleItems))).toThrow(
      'the pickle puts more than 4,000,000 values on its unpickling stack at once',
    );
    expect(unpickle(repeated(0x32, 1000))).toBeNull();
  });

  it('MEMOIZE past the limit is refused (a Map holds at most 2^24 entries)', () => {
    const budget = new LoadBudget({ ...MODEL_LIMITS, pickleItems: 1000 });
    expect(() => withLoadBudget(() => unpickle(repeated(0x94, 1001)), budget)).toThrow(
      'the pickle puts more than 1,000 values on its memo at once',
    );
    expect(withLoadBudget(() => unpickle(repeated(0x94, 1000)), budget)).toBeNull();
  });

  it('values nested deeper than the call stack goes are refused, not a RangeError', () => {
    // {((...(None,)...),): None}: hashing the key walks the whole nesting.
    const key = new Uint8Array(300_000).fill(0x85); // TUPLE1
    const bytes = Uint8Array.from([0x80, 4, 0x7d, 0x4e, ...key, 0x4e, 0x73, 0x2e]);
    expect(() => unpickle(bytes)).toThrow(
      new ModelFormatError(stream("its values are nested too deeply to read (the call stack ran out), which no real model's are")),
    );
  });
});
