/**
 * numpy's arrays, dtypes and scalars as a pickle rebuilds them, read into typed arrays with
 * no Python involved. Covers both ways numpy pickles an array:
 * - protocols 2 to 4: `_reconstruct(ndarray, (0,), b'b')`, then `__setstate__` with
 *   (version, shape, dtype, is_fortran, raw bytes or a list of objects);
 * - protocol 5 (MLflow's default cloudpickle): `_frombuffer(buffer, dtype, shape, order)`;
 * and both module names, numpy 1's `numpy.core` and numpy 2's `numpy._core`.
 */
import { refuse } from '../errors';
import { chargeArrayBytes, MODEL_LIMITS } from '../limits';
import { describePython, isList, isTuple, PyByteArray, PyFloat, type PyGlobal, PyObject, pythonCallable, tuple } from './python-object';

/** One field of a structured dtype (sklearn's tree nodes are records). */
export interface DtypeField {
  name: string;
  dtype: NumpyDtype;
  offset: number;
}

/** The dtypes this runtime reads, by the spec numpy's pickle gives them: numbers, booleans, objects ('O8') and records ('V<size>'). */
const NUMBER_SPECS = /^(b1|i1|i2|i4|i8|u1|u2|u4|u8|f4|f8|O8|V[1-9][0-9]{0,8})$/;

/**
 * A numpy dtype: its kind (f, i, u, b, O, V), size in bytes, byte order and, for records,
 * fields. numpy trusts a dtype's pickled state without checking it (a record whose 8-byte field
 * lies past its 4-byte items is accepted, and read past each item), so the state must be
 * exactly the one numpy writes for that dtype, or it is refused.
 */
export class NumpyDtype {
  readonly kind: string;
  readonly itemSize: number;
  byteOrder: string;
  fields?: DtypeField[];
  private built = false;

  constructor(spec: unknown, align?: unknown, copy?: unknown) {
    const match =
      (typeof spec === 'string' && NUMBER_SPECS.exec(spec)) || refuse(`numpy dtype ${describePython(spec)} is not one this runtime reads`);
    // numpy writes dtype(spec, False, True): a copy, never the shared dtype object itself.
    if (align !== false || copy !== true)
      refuse(`numpy.dtype(${describePython(spec)}, ${describePython(align)}, ${describePython(copy)}), not as numpy pickles a dtype`);
    this.kind = match[1][0];
    this.itemSize = Number(match[1].slice(1));
    this.byteOrder = this.singleByte ? '|' : '<';
  }

  /** Numbers of one byte, objects and records have no byte order ('|'). */
  private get singleByte(): boolean {
    return this.itemSize === 1 || this.kind === 'O' || this.kind === 'V';
  }

  /** numpy's dtype state: (3, byte order, subarray, names, fields, elsize, alignment, flags), exactly as numpy writes it. */
  __setstate__(state: unknown): void {
    if (this.built) refuse('a second BUILD on one numpy dtype');
    this.built = true;
    if (!isTuple(state) || state.length !== 8) refuse(`numpy dtype ${this} with a state that is not the 8-tuple numpy writes`);
    const [version, byteOrder, subarray, names, fields, elsize, alignment, flags] = state as readonly unknown[];
    const wrong = (what: string): never => refuse(`numpy dtype ${this} with ${what}, not what numpy writes for it`);
    if (version !== 3) wrong(`state version ${describePython(version)}`);
    if (!(this.singleByte ? byteOrder === '|' : byteOrder === '<' || byteOrder === '>')) wrong(`byte order ${describePython(byteOrder)}`);
    this.byteOrder = byteOrder as string;
    if (subarray !== null) wrong('a sub-array');
    if (this.kind !== 'V') {
      if (names !== null || fields !== null) wrong('fields');
      if (elsize !== -1 || alignment !== -1) wrong(`elsize ${describePython(elsize)} and alignment ${describePython(alignment)}`);
      if (flags !== (this.kind === 'O' ? 63 : 0)) wrong(`flags ${describePython(flags)}`);
      return;
    }
    if (elsize !== this.itemSize) wrong(`elsize ${describePython(elsize)}`);
    // A packed record of numbers: alignment 1, and flags 16 (NPY_NEEDS_PYAPI), as np.dtype([...]) makes it.
    if (alignment !== 1 || flags !== 16) wrong(`alignment ${describePython(alignment)} and flags ${describePython(flags)}`);
    if (!isTuple(names) || !(fields instanceof Map) || names.length === 0 || names.length !== fields.size)
      wrong('names that are not its fields');
    this.fields = (names as readonly unknown[]).map((name) => {
      const field = (fields as Map<unknown, unknown>).get(name);
      if (typeof name !== 'string' || !isTuple(field) || field.length !== 2) return wrong(`a malformed field ${describePython(name)}`);
      const [dtype, offset] = field;
      if (!(dtype instanceof NumpyDtype) || dtype.kind === 'V' || dtype.kind === 'O')
        return wrong(`field ${describePython(name)} of ${describePython(dtype)}`);
      if (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) + dtype.itemSize > this.itemSize) {
        refuse(`structured numpy dtype field ${describePython(name)} does not fit its ${this.itemSize}-byte records`);
      }
      return { name, dtype, offset: offset as number };
    });
  }

  get littleEndian(): boolean {
    return this.byteOrder !== '>';
  }

  /** The dtype as numpy writes it, for messages: `<f8`, `|V64`, ... */
  toString(): string {
    return `${this.byteOrder}${this.kind}${this.itemSize}`;
  }
}

/** Reads one number of a numeric dtype at a byte offset; the dtypes scikit-learn's models use. */
function readNumber(view: DataView, offset: number, dtype: NumpyDtype): number {
  const little = dtype.littleEndian;
  switch (`${dtype.kind}${dtype.itemSize}`) {
    case 'f8':
      return view.getFloat64(offset, little);
    case 'f4':
      return view.getFloat32(offset, little);
    case 'i8':
    case 'u8': {
      const low = view.getUint32(offset + (little ? 0 : 4), little);
      const high =
        dtype.kind === 'i' ? view.getInt32(offset + (little ? 4 : 0), little) : view.getUint32(offset + (little ? 4 : 0), little);
      const value = high * 2 ** 32 + low;
      if (!Number.isSafeInteger(value)) refuse(`a ${dtype} value beyond 2^53`);
      return value;
    }
    case 'i4':
      return view.getInt32(offset, little);
    case 'u4':
      return view.getUint32(offset, little);
    case 'i2':
      return view.getInt16(offset, little);
    case 'u2':
      return view.getUint16(offset, little);
    case 'i1':
      return view.getInt8(offset);
    case 'u1':
      return view.getUint8(offset);
    case 'b1':
      // numpy's bool: any byte but 0 is True
      return view.getUint8(offset) === 0 ? 0 : 1;
    default:
      return refuse(`numpy dtype ${dtype} is not a number type this runtime reads`);
  }
}

const product = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** A shape as numpy takes it from a pickle: a tuple of at most 32 non-negative ints, whose size is exact. */
function checkedShape(shape: unknown): number[] {
  if (!isTuple(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    return refuse(`a numpy array shape ${describePython(shape)}`);
  if (shape.length > MODEL_LIMITS.arrayDimensions) {
    refuse(
      `a numpy array of ${shape.length} dimensions; numpy reads at most ${MODEL_LIMITS.arrayDimensions} (and a model's arrays have at most 3)`,
    );
  }
  if (!Number.isSafeInteger(product(shape as number[]))) refuse(`a numpy array shape whose size is beyond 2^53`);
  return [...(shape as number[])];
}

/**
 * Where element i (counted in C order) of an array sits in its storage, for an array stored
 * with its axes in another order: a Fortran-ordered array's axes are reversed; numpy 2's
 * `_frombuffer(..., order="K", axis_order)` gives the order. Identity for C order.
 */
function storageIndex(shape: readonly number[], axisOrder: readonly number[] | undefined): (i: number) => number {
  if (axisOrder === undefined || shape.length < 2 || axisOrder.every((axis, k) => axis === k)) return (i) => i;
  // The stored array is C-contiguous in the base shape; axis k of this array is its axis axisOrder[k].
  const base: number[] = [];
  axisOrder.forEach((axis, k) => {
    base[axis] = shape[k];
  });
  const baseStrides = base.map((_, axis) => product(base.slice(axis + 1)));
  const strides = axisOrder.map((axis) => baseStrides[axis]);
  return (i) => {
    let rest = i;
    let index = 0;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index += (rest % shape[axis]) * strides[axis];
      rest = Math.floor(rest / shape[axis]);
    }
    return index;
  };
}

/** The axis order of a Fortran-ordered array of n dimensions: its axes reversed. */
const fortranAxes = (n: number) => Array.from({ length: n }, (_, k) => n - 1 - k);

/** An int-like flag as numpy's setstate parses it (C's "i"): a bool or an int. */
function intFlag(value: unknown, what: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) < 2 ** 31) return value !== 0;
  return refuse(`a numpy array ${what} of ${describePython(value)}`);
}

/** A numpy array: shape, dtype and either raw bytes (numbers, records) or a list (object arrays). */
export class NdArray {
  shape: number[] = [];
  dtype?: NumpyDtype;
  fortranOrder = false;
  /** The order its axes are stored in, when not C's (see storageIndex). */
  private axisOrder?: readonly number[];
  private bytes?: Uint8Array;
  private objects?: unknown[];
  private built = false;

  /** numpy's ndarray.__setstate__: (1, shape, dtype, is_fortran, data), or the 4-tuple without the version. */
  __setstate__(state: unknown): void {
    if (this.built) refuse('a second BUILD on one numpy array');
    this.built = true;
    if (!isTuple(state) || (state.length !== 4 && state.length !== 5)) refuse('a numpy array state that is not the tuple numpy writes');
    if (state.length === 5 && state[0] !== 1) refuse(`a numpy array state of version ${describePython(state[0])}`);
    const [shape, dtype, fortran, data] = (state as readonly unknown[]).slice(-4);
    // numpy's setstate takes bytes, or text of latin-1 code points (a Python 2 str), for numbers; a list for objects.
    if (data instanceof PyByteArray) refuse("numpy array data given as a bytearray, which numpy's setstate does not take");
    this.fill(shape, dtype, intFlag(fortran, 'order flag'), typeof data === 'string' ? latin1Bytes(data) : data);
  }

  fill(shape: unknown, dtype: unknown, fortran: boolean, data: unknown, axisOrder?: readonly number[]): this {
    this.shape = checkedShape(shape);
    if (!(dtype instanceof NumpyDtype)) refuse(`a numpy array whose dtype is ${describePython(dtype)}`);
    this.dtype = dtype as NumpyDtype;
    this.fortranOrder = fortran;
    this.axisOrder = axisOrder ?? (fortran ? fortranAxes(this.shape.length) : undefined);
    if (this.dtype.kind === 'O') {
      if (!isList(data) || data.length !== this.size) refuse('a numpy object array whose items are not a list that matches its shape');
      this.objects = data as unknown[];
    } else {
      if (!(data instanceof Uint8Array)) return refuse(`numpy array data that is ${describePython(data)}, not bytes`);
      if (data.length !== this.size * this.dtype.itemSize) {
        refuse(`a numpy array of shape (${this.shape.join(', ')}) and dtype ${this.dtype} with ${data.length} bytes of data`);
      }
      this.bytes = data;
    }
    return this;
  }

  get size(): number {
    return product(this.shape);
  }

  /** The items of an object array (estimators of a gradient boosting model), in C order. */
  items(): unknown[] {
    const { objects } = this;
    if (objects === undefined) return refuse(`expected a numpy object array, got dtype ${this.dtype}`);
    chargeArrayBytes(8 * this.size, 'a numpy object array');
    const at = storageIndex(this.shape, this.axisOrder);
    return Array.from({ length: this.size }, (_, i) => objects[at(i)]);
  }

  /** The values of a numeric array as float64, in C order; integers must be exact in a double. */
  toFloat64Array(): Float64Array {
    const { dtype, bytes } = this;
    if (bytes === undefined || dtype === undefined || dtype.fields !== undefined)
      return refuse(`expected a numeric numpy array, got dtype ${this.dtype}`);
    chargeArrayBytes(8 * this.size, `a numpy array of shape (${this.shape.join(', ')})`);
    // A little-endian float64 array in C order is the common case: one aligned copy of the bytes.
    if (dtype.kind === 'f' && dtype.itemSize === 8 && dtype.littleEndian && storageIndex(this.shape, this.axisOrder)(1) === 1) {
      return new Float64Array(new Uint8Array(bytes).buffer); // a copy: aligned, and apart from the file's buffer
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const at = storageIndex(this.shape, this.axisOrder);
    const out = new Float64Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = readNumber(view, at(i) * dtype.itemSize, dtype);
    return out;
  }

  /** One field of a one-dimensional structured array (a column of sklearn's node records), as float64. */
  field(name: string): Float64Array {
    const { field, view, recordSize, count } = this.records(name);
    chargeArrayBytes(8 * count, `numpy records' field "${name}"`);
    const out = new Float64Array(count);
    const { kind, itemSize, littleEndian } = field.dtype;
    if (kind === 'f' && itemSize === 8 && littleEndian) {
      // The common case, read in place: a copy of a forest's node records would be megabytes of garbage per load.
      for (let i = 0, offset = field.offset; i < count; i++, offset += recordSize) out[i] = view.getFloat64(offset, true);
      return out;
    }
    for (let i = 0, offset = field.offset; i < count; i++, offset += recordSize) out[i] = readNumber(view, offset, field.dtype);
    return out;
  }

  /** An integer field of one-dimensional records (children, features) as int32; a value beyond int32 is refused. */
  int32Field(name: string): Int32Array {
    const { field, view, recordSize, count } = this.records(name);
    chargeArrayBytes(4 * count, `numpy records' field "${name}"`);
    const out = new Int32Array(count);
    const { kind, itemSize, littleEndian } = field.dtype;
    if ((kind === 'i' || kind === 'u') && itemSize === 8 && littleEndian) {
      // int64 (sklearn's intp) as two 32-bit words: the high word must be the sign of the low one.
      for (let i = 0, offset = field.offset; i < count; i++, offset += recordSize) {
        const low = view.getInt32(offset, true);
        const high = view.getInt32(offset + 4, true);
        if (high !== (low < 0 ? -1 : 0) || (kind === 'u' && low < 0)) refuse(`a ${field.dtype} value of field "${name}" beyond int32`);
        out[i] = low;
      }
      return out;
    }
    for (let i = 0, offset = field.offset; i < count; i++, offset += recordSize) {
      const value = readNumber(view, offset, field.dtype);
      if (!Number.isInteger(value) || value !== (value | 0)) refuse(`a value ${value} of field "${name}" that is not an int32`);
      out[i] = value;
    }
    return out;
  }

  private records(name: string) {
    const { dtype, bytes } = this;
    const field = dtype?.fields?.find((f) => f.name === name);
    if (bytes === undefined || dtype === undefined || field === undefined)
      return refuse(`expected numpy records with a field "${name}", got dtype ${this.dtype}`);
    if (this.shape.length !== 1) refuse(`expected one-dimensional numpy records, got shape (${this.shape.join(', ')})`);
    return {
      field,
      bytes,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      recordSize: dtype.itemSize,
      count: this.size,
    };
  }

  hasField(name: string): boolean {
    return this.dtype?.fields?.some((f) => f.name === name) ?? false;
  }
}

/** Python 2-era pickles carry bytes as text whose code points are the bytes (latin-1). */
function latin1Bytes(text: string): Uint8Array {
  chargeArrayBytes(text.length, 'bytes given as text');
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) refuse('bytes given as text outside latin-1');
    bytes[i] = code;
  }
  return bytes;
}

const ndarray: PyGlobal = pythonCallable(
  'numpy.ndarray',
  () => refuse('numpy.ndarray is only expected as the type of a rebuilt array'),
  'class',
);

/** The arguments numpy's pickle gives `_reconstruct`: ndarray, (0,), b'b'. */
const isReconstructArgs = (args: unknown[]) =>
  args.length === 3 &&
  args[0] === ndarray &&
  isTuple(args[1]) &&
  args[1].length === 1 &&
  args[1][0] === 0 &&
  args[2] instanceof Uint8Array &&
  !(args[2] instanceof PyByteArray) &&
  args[2].length === 1 &&
  args[2][0] === 0x62;

/** `_reconstruct(ndarray, (0,), b'b')`: an empty plain ndarray that `__setstate__` then fills. */
const reconstruct = (name: string) =>
  pythonCallable(name, (...args) => {
    if (args[0] !== ndarray) return refuse(`${name} of ${describePython(args[0])}: only plain numpy arrays are supported (not subclasses)`);
    if (!isReconstructArgs(args)) return refuse(`${name} with arguments other than numpy's (ndarray, (0,), b'b')`);
    return new NdArray();
  });

/** A permutation of 0 .. n - 1, as numpy's axis_order must be. */
const isPermutation = (value: unknown, n: number): value is readonly number[] =>
  Array.isArray(value) && value.length === n && [...value].sort((a, b) => a - b).every((axis, k) => axis === k);

/**
 * `_frombuffer(buffer, dtype, shape, order[, axis_order])`: numpy's
 * `frombuffer(buffer, dtype).reshape(shape, order=order)`, protocol 5's array. numpy 2 writes a
 * non-contiguous array (an attribute such as ElasticNetCV's mse_path_) as order "K" with the
 * axis order of its strides: reshaped in C order, then transposed.
 */
const frombuffer = (name: string) =>
  pythonCallable(name, (...args) => {
    const [buffer, dtype, shape, order, axisOrder] = args;
    if (args.length !== 4 && args.length !== 5) refuse(`${name} with ${args.length} arguments`);
    if (order === 'K' && axisOrder !== undefined && axisOrder !== null) {
      const dims = checkedShape(shape);
      if (!isPermutation(axisOrder, dims.length)) refuse(`${name} with axis_order ${describePython(axisOrder)}`);
      if (!(buffer instanceof Uint8Array)) refuse(`${name} of ${describePython(buffer)}, not a buffer`);
      const transposed = tuple((axisOrder as readonly number[]).map((axis) => dims[axis]));
      return new NdArray().fill(transposed, dtype, false, buffer, axisOrder as readonly number[]);
    }
    if (order !== 'C' && order !== 'F') refuse(`${name} with order ${describePython(order)}`);
    if (!(buffer instanceof Uint8Array)) refuse(`${name} of ${describePython(buffer)}, not a buffer`);
    if (dtype instanceof NumpyDtype && dtype.kind === 'O') refuse('cannot create an OBJECT array from memory buffer');
    return new NdArray().fill(shape, dtype, order === 'F', buffer);
  });

/**
 * `scalar(dtype, bytes)`: a numpy scalar (an intercept, a dual gap): a float as a PyFloat, an
 * int as a number, a bool as a boolean, as Python takes each where an int or float is needed.
 */
const scalar = (name: string) =>
  pythonCallable(name, (...args) => {
    const [dtype, data] = args;
    if (!(dtype instanceof NumpyDtype) || args.length !== 2) return refuse(`${name} of ${describePython(dtype)}`);
    if (dtype.kind === 'O') return data;
    if (dtype.kind === 'V') return refuse(`a numpy record scalar of ${dtype}`);
    const bytes = typeof data === 'string' ? latin1Bytes(data) : data;
    if (bytes instanceof PyByteArray) return refuse(`${name} of a bytearray`);
    const value = new NdArray().fill(tuple([]), dtype, false, bytes).toFloat64Array()[0];
    if (dtype.kind === 'f') return new PyFloat(value);
    return dtype.kind === 'b' ? value !== 0 : value;
  });

/** A numpy or Python type used as a value (DictVectorizer's dtype), never called. */
export const typeMarker = (name: string): PyGlobal =>
  pythonCallable(name, () => refuse(`${name} is only expected as a type, not called`), 'class');

/*
 * numpy's random states, which estimators keep from fitting (a RandomState, or since
 * scikit-learn 1.4 a HistGradientBoostingRegressor's Generator). Inert here, as they only
 * mattered for fitting, but read and checked as numpy reads them, so that a state numpy
 * refuses is refused. numpy 1 names a bit generator by its name ('MT19937'), numpy 2 by its
 * class; numpy 2 also pickles a bit generator's SeedSequence beside its state.
 */
const BIT_GENERATORS = {
  MT19937: typeMarker('numpy.random._mt19937.MT19937'),
  PCG64: typeMarker('numpy.random._pcg64.PCG64'),
} as const;
type BitGeneratorName = keyof typeof BIT_GENERATORS;

/** The bit generator a ctor argument names, by name (numpy 1) or class (numpy 2). */
function bitGeneratorName(value: unknown): BitGeneratorName | undefined {
  for (const [name, type] of Object.entries(BIT_GENERATORS) as [BitGeneratorName, PyGlobal][]) {
    if (value === name || value === type) return name;
  }
  return undefined;
}

const isCInt = (v: unknown) => (Number.isSafeInteger(v) && Math.abs(v as number) < 2 ** 31) || typeof v === 'boolean';
/** A Python int numpy converts to an unsigned 128-bit integer (PCG64's state and increment): it refuses negative and wider ones. */
const isUint128 = (v: unknown) =>
  (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n && v < 2n ** 128n);

/**
 * An MT19937 state as numpy's setters take it: {'bit_generator': 'MT19937', 'state': {'key':
 * 624 integers, 'pos': int}} (a RandomState's adds has_gauss and gauss).
 */
function checkMt19937State(type: string, state: Map<unknown, unknown>, inner: Map<unknown, unknown>): void {
  const key = inner.get('key');
  const pos = inner.get('pos');
  if (!(key instanceof NdArray) || key.size !== 624 || key.shape.length !== 1 || (key.dtype?.kind !== 'u' && key.dtype?.kind !== 'i')) {
    refuse(`${type}: an MT19937 key that is not 624 integers`);
  }
  if (!Number.isSafeInteger(pos) || (pos as number) < 0 || (pos as number) > 624)
    refuse(`${type}: an MT19937 position of ${describePython(pos)}`);
  for (const [name, ok] of [
    ['has_gauss', isCInt],
    ['gauss', (v: unknown) => v instanceof PyFloat || typeof v === 'number'],
  ] as const) {
    if (state.has(name) && !ok(state.get(name))) refuse(`${type}: ${name} of ${describePython(state.get(name))}`);
  }
}

/** A PCG64 state as its setter takes it: {'bit_generator': 'PCG64', 'state': {'state': int, 'inc': int}, 'has_uint32': int, 'uinteger': int}. */
function checkPcg64State(type: string, state: Map<unknown, unknown>, inner: Map<unknown, unknown>): void {
  for (const name of ['state', 'inc']) {
    if (!isUint128(inner.get(name)))
      refuse(`${type}: a PCG64 ${name} of ${describePython(inner.get(name))}, not an unsigned 128-bit integer`);
  }
  for (const name of ['has_uint32', 'uinteger']) {
    if (!isCInt(state.get(name))) refuse(`${type}: a PCG64 ${name} of ${describePython(state.get(name))}`);
  }
}

/** The state of a bit generator (or a RandomState or Generator of numpy 1, which take their bit generator's) for `expected`. */
const checkBitGeneratorState = (expected: BitGeneratorName) => (object: PyObject) => {
  const state = object.attributes;
  const inner = state.get('state');
  if (state.get('bit_generator') !== expected || !(inner instanceof Map))
    refuse(`${object.type}: state dictionary is not valid for ${expected}`);
  (expected === 'MT19937' ? checkMt19937State : checkPcg64State)(object.type, state, inner as Map<unknown, unknown>);
};

const BIT_GENERATOR_CTOR = 'numpy.random._pickle.__bit_generator_ctor';
const isBitGenerator = (value: unknown): value is PyObject => value instanceof PyObject && value.type === BIT_GENERATOR_CTOR;
const isBitGeneratorCtor = (value: unknown) => (value as PyGlobal | undefined)?.pythonName === BIT_GENERATOR_CTOR;

/**
 * A random state ctor of numpy's pickle module, as numpy 1 and 2 call it, then BUILD gives the
 * result its state:
 * - `__bit_generator_ctor('PCG64')` (numpy 1) or `(PCG64,)` (numpy 2): a bit generator;
 * - `__randomstate_ctor` and `__generator_ctor` with a bit generator's name and, optionally,
 *   `__bit_generator_ctor` (numpy 1), or with a bit generator already built (numpy 2, which
 *   gives a Generator no state of its own).
 * A RandomState takes MT19937 only; a Generator either.
 */
const randomCtor = (name: string, accepts: readonly BitGeneratorName[], takesCtor: boolean) =>
  pythonCallable(name, (...args) => {
    const built = takesCtor && args.length === 1 && isBitGenerator(args[0]);
    const bitGenerator = args.length === 0 ? 'MT19937' : bitGeneratorName(built ? (args[0] as PyObject).args[0] : args[0]);
    const validArgs = args.length <= 1 || (takesCtor && args.length === 2 && isBitGeneratorCtor(args[1]));
    if (bitGenerator === undefined || !accepts.includes(bitGenerator) || !validArgs) {
      return refuse(`${name} with ${args.map(describePython).join(', ')}: only ${accepts.join(' or ')}, as numpy pickles it`);
    }
    return new PyObject(name, args, { seedState: true, checkState: checkBitGeneratorState(bitGenerator) });
  });

/**
 * numpy 2's SeedSequence, as Cython pickles it: `__pyx_unpickle_SeedSequence(SeedSequence,
 * checksum, None)`, then BUILD with (entropy, n_children_spawned, pool, pool_size, spawn_key).
 */
class SeedSequence {
  private built = false;

  __setstate__(state: unknown): void {
    if (this.built) refuse('a second BUILD on one numpy SeedSequence');
    this.built = true;
    if (!isTuple(state) || state.length !== 5) refuse(`a numpy SeedSequence state of ${describePython(state)}, not its 5 fields`);
    const [, children, pool, poolSize, spawnKey] = state as readonly unknown[];
    const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!isCount(children) || !isCount(poolSize) || !isTuple(spawnKey)) refuse('a numpy SeedSequence state that is not as numpy writes it');
    if (!(pool instanceof NdArray) || pool.shape.length !== 1 || pool.dtype?.kind !== 'u' || pool.dtype.itemSize !== 4) {
      refuse(`a numpy SeedSequence pool of ${describePython(pool)}, not a uint32 array`);
    }
  }
}
const SEED_SEQUENCE = typeMarker('numpy.random.bit_generator.SeedSequence');
const unpickleSeedSequence = pythonCallable('numpy.random.bit_generator.__pyx_unpickle_SeedSequence', (...args) => {
  if (args.length !== 3 || args[0] !== SEED_SEQUENCE || !Number.isSafeInteger(args[1]) || args[2] !== null) {
    return refuse(`numpy.random.bit_generator.__pyx_unpickle_SeedSequence with ${args.map(describePython).join(', ')}`);
  }
  return new SeedSequence();
});

export const NUMPY_GLOBALS: readonly PyGlobal[] = [
  ndarray,
  pythonCallable('numpy.dtype', (...args) => new NumpyDtype(...(args as [unknown, unknown, unknown])), 'class'),
  ...['numpy.core', 'numpy._core'].flatMap((core) => [
    reconstruct(`${core}.multiarray._reconstruct`),
    scalar(`${core}.multiarray.scalar`),
    frombuffer(`${core}.numeric._frombuffer`),
  ]),
  ...['float64', 'float32', 'int64', 'int32', 'bool_'].map((type) => typeMarker(`numpy.${type}`)),
  randomCtor(BIT_GENERATOR_CTOR, ['MT19937', 'PCG64'], false),
  randomCtor('numpy.random._pickle.__randomstate_ctor', ['MT19937'], true),
  randomCtor('numpy.random.__RandomState_ctor', ['MT19937'], true),
  randomCtor('numpy.random._pickle.__generator_ctor', ['MT19937', 'PCG64'], true),
  ...Object.values(BIT_GENERATORS),
  SEED_SEQUENCE,
  unpickleSeedSequence,
];

/**
 * Python builtins: bytes as protocol 2 carries them (`_codecs.encode(text, 'latin1')`, and
 * `bytes()` for empty ones), and `float` as a DictVectorizer's dtype. Protocol 2 names the
 * builtins module as Python 2 did, `__builtin__`, which the unpickler maps to `builtins`
 * before protocol 3, as CPython does.
 */
export const BUILTIN_GLOBALS: readonly PyGlobal[] = [
  pythonCallable('_codecs.encode', (...args) => {
    const [text, encoding] = args;
    if (args.length !== 2 || typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
      return refuse(`_codecs.encode with ${describePython(encoding)}`);
    return latin1Bytes(text);
  }),
  pythonCallable('builtins.bytes', (...args) => (args.length === 0 ? new Uint8Array(0) : refuse('builtins.bytes with arguments')), 'class'),
  typeMarker('builtins.float'),
];
