/**
 * numpy's arrays, dtypes and scalars as a pickle rebuilds them, read into typed arrays with
 * no Python involved. Covers both ways numpy pickles an array:
 * - protocols 2 to 4: `_reconstruct(ndarray, (0,), b'b')`, then `__setstate__` with
 *   (version, shape, dtype, is_fortran, raw bytes or a list of objects);
 * - protocol 5 (MLflow's default cloudpickle): `_frombuffer(buffer, dtype, shape, order)`;
 * and both module names, numpy 1's `numpy.core` and numpy 2's `numpy._core`.
 */
import { ModelFormatError } from '../errors';
import { describePython, type PyGlobal, PyObject, pythonCallable } from './python-object';

const fail = (problem: string): never => {
  throw new ModelFormatError(problem);
};

/** One field of a structured dtype (sklearn's tree nodes are records). */
export interface DtypeField {
  name: string;
  dtype: NumpyDtype;
  offset: number;
}

/** A numpy dtype: its kind (f, i, u, b, O, V, ...), size in bytes, byte order and, for records, fields. */
export class NumpyDtype {
  readonly kind: string;
  itemSize: number;
  byteOrder = '|';
  fields?: DtypeField[];

  constructor(spec: unknown) {
    const match =
      (typeof spec === 'string' && /^([a-zA-Z?])(\d*)$/.exec(spec)) ||
      fail(`numpy dtype ${describePython(spec)} is not one this runtime reads`);
    this.kind = match[1];
    const count = Number(match[2] || 0);
    this.itemSize = this.kind === 'U' ? 4 * count : count;
  }

  /** numpy's dtype state: (version, byte order, subarray, names, fields, itemsize, alignment, flags[, metadata]). */
  __setstate__(state: unknown): void {
    if (!Array.isArray(state) || state.length < 8) fail('a numpy dtype state that is not the 8- or 9-tuple numpy writes');
    const [, byteOrder, subarray, names, fields, itemSize] = state as unknown[];
    if (typeof byteOrder === 'string') this.byteOrder = byteOrder;
    if (subarray !== null) fail('numpy sub-array dtypes are not supported');
    if (typeof itemSize === 'number' && itemSize > 0) this.itemSize = itemSize;
    if (!(this.itemSize > 0)) fail(`numpy dtype ${this} has no size`);
    if (names !== null) {
      if (!Array.isArray(names) || !(fields instanceof Map)) fail('a structured numpy dtype without its fields');
      this.fields = (names as unknown[]).map((name) => {
        const field = (fields as Map<unknown, unknown>).get(name);
        if (!Array.isArray(field) || !(field[0] instanceof NumpyDtype) || typeof field[1] !== 'number') {
          fail(`structured numpy dtype field ${describePython(name)} is malformed`);
        }
        const [dtype, offset] = field as [NumpyDtype, number];
        if (!Number.isInteger(offset) || offset < 0 || offset + dtype.itemSize > this.itemSize) {
          fail(`structured numpy dtype field ${describePython(name)} does not fit its ${this.itemSize}-byte records`);
        }
        return { name: String(name), dtype, offset };
      });
    }
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
      if (!Number.isSafeInteger(value)) fail(`a ${dtype} value beyond 2^53`);
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
    case 'b1':
      return view.getUint8(offset);
    default:
      return fail(`numpy dtype ${dtype} is not a number type this runtime reads`);
  }
}

const product = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

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

/** A numpy array: shape, dtype and either raw bytes (numbers, records) or a list (object arrays). */
export class NdArray {
  shape: number[] = [];
  dtype?: NumpyDtype;
  fortranOrder = false;
  /** The order its axes are stored in, when not C's (see storageIndex). */
  private axisOrder?: readonly number[];
  private bytes?: Uint8Array;
  private objects?: unknown[];

  /** Fills the array from (shape, dtype, is_fortran, data), with or without numpy's leading version. */
  __setstate__(state: unknown): void {
    if (!Array.isArray(state) || (state.length !== 4 && state.length !== 5)) fail('a numpy array state that is not the tuple numpy writes');
    const [shape, dtype, fortran, data] = (state as unknown[]).slice(-4);
    this.fill(shape, dtype, fortran === true, data);
  }

  fill(shape: unknown, dtype: unknown, fortran: boolean, data: unknown, axisOrder?: readonly number[]): this {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`a numpy array shape ${describePython(shape)}`);
    if (!(dtype instanceof NumpyDtype)) fail(`a numpy array whose dtype is ${describePython(dtype)}`);
    this.shape = shape as number[];
    this.dtype = dtype as NumpyDtype;
    this.fortranOrder = fortran;
    this.axisOrder = axisOrder ?? (fortran ? fortranAxes(this.shape.length) : undefined);
    if (this.dtype.kind === 'O') {
      if (!Array.isArray(data) || data.length !== this.size) fail('a numpy object array whose items do not match its shape');
      this.objects = data as unknown[];
    } else {
      const bytes = typeof data === 'string' ? latin1Bytes(data) : data;
      if (!(bytes instanceof Uint8Array)) fail(`numpy array data that is ${describePython(data)}, not bytes`);
      if ((bytes as Uint8Array).length !== this.size * this.dtype.itemSize) {
        fail(
          `a numpy array of shape (${this.shape.join(', ')}) and dtype ${this.dtype} with ${(bytes as Uint8Array).length} bytes of data`,
        );
      }
      this.bytes = bytes as Uint8Array;
    }
    return this;
  }

  get size(): number {
    return product(this.shape);
  }

  /** The items of an object array (estimators of a gradient boosting model), in C order. */
  items(): unknown[] {
    const { objects } = this;
    if (objects === undefined) return fail(`expected a numpy object array, got dtype ${this.dtype}`);
    const at = storageIndex(this.shape, this.axisOrder);
    return Array.from({ length: this.size }, (_, i) => objects[at(i)]);
  }

  /** The values of a numeric array as float64, in C order; integers must be exact in a double. */
  toFloat64Array(): Float64Array {
    const { dtype, bytes } = this;
    if (bytes === undefined || dtype === undefined || dtype.fields !== undefined)
      return fail(`expected a numeric numpy array, got dtype ${this.dtype}`);
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
    const out = new Int32Array(count);
    const { kind, itemSize, littleEndian } = field.dtype;
    if ((kind === 'i' || kind === 'u') && itemSize === 8 && littleEndian) {
      // int64 (sklearn's intp) as two 32-bit words: the high word must be the sign of the low one.
      for (let i = 0, offset = field.offset; i < count; i++, offset += recordSize) {
        const low = view.getInt32(offset, true);
        const high = view.getInt32(offset + 4, true);
        if (high !== (low < 0 ? -1 : 0) || (kind === 'u' && low < 0)) fail(`a ${field.dtype} value of field "${name}" beyond int32`);
        out[i] = low;
      }
      return out;
    }
    for (let i = 0, offset = field.offset; i < count; i++, offset += recordSize) {
      const value = readNumber(view, offset, field.dtype);
      if (!Number.isInteger(value) || value !== (value | 0)) fail(`a value ${value} of field "${name}" that is not an int32`);
      out[i] = value;
    }
    return out;
  }

  private records(name: string) {
    const { dtype, bytes } = this;
    const field = dtype?.fields?.find((f) => f.name === name);
    if (bytes === undefined || dtype === undefined || field === undefined)
      return fail(`expected numpy records with a field "${name}", got dtype ${this.dtype}`);
    if (this.shape.length !== 1) fail(`expected one-dimensional numpy records, got shape (${this.shape.join(', ')})`);
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
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) fail('bytes given as text outside latin-1');
    bytes[i] = code;
  }
  return bytes;
}

const ndarray: PyGlobal = pythonCallable('numpy.ndarray', () => fail('numpy.ndarray is only expected as the type of a rebuilt array'));

/** `_reconstruct(ndarray, (0,), b'b')`: an empty plain ndarray that `__setstate__` then fills. */
const reconstruct = (name: string) =>
  pythonCallable(name, (subtype) => {
    if (subtype !== ndarray) return fail(`${name} of ${describePython(subtype)}: only plain numpy arrays are supported (not subclasses)`);
    return new NdArray();
  });

/** A permutation of 0 .. n - 1, as numpy's axis_order must be. */
const isPermutation = (value: unknown, n: number): value is number[] =>
  Array.isArray(value) && value.length === n && [...value].sort((a, b) => a - b).every((axis, k) => axis === k);

/**
 * `_frombuffer(buffer, dtype, shape, order[, axis_order])`: an array rebuilt from an in-band
 * pickle buffer; numpy 2 writes a non-contiguous array (an attribute such as ElasticNetCV's
 * mse_path_) as order "K" with the axis order of its strides: reshaped in C order, then transposed.
 */
const frombuffer = (name: string) =>
  pythonCallable(name, (buffer, dtype, shape, order, axisOrder) => {
    if (order === 'K' && axisOrder !== undefined && axisOrder !== null) {
      if (!Array.isArray(shape) || !isPermutation(axisOrder, shape.length)) fail(`${name} with axis_order ${describePython(axisOrder)}`);
      const transposed = (axisOrder as number[]).map((axis) => (shape as number[])[axis]);
      return new NdArray().fill(transposed, dtype, false, buffer, axisOrder as number[]);
    }
    if (order !== 'C' && order !== 'F') fail(`${name} with order ${describePython(order)}`);
    return new NdArray().fill(shape, dtype, order === 'F', buffer);
  });

/** `scalar(dtype, bytes)`: a numpy scalar (an intercept, a dual gap) as a JS number. */
const scalar = (name: string) =>
  pythonCallable(name, (dtype, data) => {
    if (!(dtype instanceof NumpyDtype)) return fail(`${name} of ${describePython(dtype)}`);
    if (dtype.kind === 'O') return data;
    return new NdArray().fill([], dtype, false, data).toFloat64Array()[0];
  });

/** A numpy or Python type used as a value (DictVectorizer's dtype), never called. */
export const typeMarker = (name: string): PyGlobal => pythonCallable(name, () => fail(`${name} is only expected as a type, not called`));

/** numpy's random state: inert here (it only mattered for fitting). */
const inertResult = (name: string) => pythonCallable(name, (...args) => new PyObject(name, args));

export const NUMPY_GLOBALS: readonly PyGlobal[] = [
  ndarray,
  pythonCallable('numpy.dtype', (spec) => new NumpyDtype(spec)),
  ...['numpy.core', 'numpy._core'].flatMap((core) => [
    reconstruct(`${core}.multiarray._reconstruct`),
    scalar(`${core}.multiarray.scalar`),
    frombuffer(`${core}.numeric._frombuffer`),
  ]),
  ...['float64', 'float32', 'int64', 'int32', 'bool_'].map((type) => typeMarker(`numpy.${type}`)),
  ...[
    'numpy.random._pickle.__randomstate_ctor',
    'numpy.random._pickle.__bit_generator_ctor',
    'numpy.random._pickle.__generator_ctor',
    'numpy.random.__RandomState_ctor',
  ].map(inertResult),
  inertResult('numpy.random._mt19937.MT19937'),
];

/**
 * Python builtins: bytes as protocol 2 carries them (`_codecs.encode(text, 'latin1')`, and
 * `bytes()` for empty ones), and `float` as a DictVectorizer's dtype. Protocol 2 names the
 * builtins module as Python 2 did, `__builtin__`.
 */
export const BUILTIN_GLOBALS: readonly PyGlobal[] = [
  pythonCallable('_codecs.encode', (text, encoding) => {
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
      return fail(`_codecs.encode with ${describePython(encoding)}`);
    return latin1Bytes(text);
  }),
  ...['builtins', '__builtin__'].flatMap((module) => [
    pythonCallable(`${module}.bytes`, (...args) => (args.length === 0 ? new Uint8Array(0) : fail(`${module}.bytes with arguments`))),
    typeMarker(`${module}.float`),
  ]),
];
