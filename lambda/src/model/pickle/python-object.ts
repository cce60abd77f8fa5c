/*
 * Python values as the unpickler rebuilds them, each kept apart where Python keeps it apart:
 * None is null, bool a boolean, int a number (a bigint beyond 2^53), float a PyFloat, str a
 * string, bytes a Uint8Array and bytearray a PyByteArray, a tuple a frozen array and a list a
 * plain one, a dict a Map, a set a PySet. For the classes of the allowlist: inert records of
 * what the pickle said. Nothing here runs code of the model's: an object is its type name, the
 * arguments it was created with and the attributes it was given.
 */
import { ModelFormatError } from '../errors';

/** A Python float. Kept apart from int, because Python refuses a float where an int is needed (a shape, a Tree's arguments). */
export class PyFloat {
  constructor(readonly value: number) {
    Object.freeze(this);
  }
}

/** A Python bytearray: mutable, so unhashable, where bytes (a plain Uint8Array) are not. */
export class PyByteArray extends Uint8Array {}

/** A Python set or frozenset: its items, in the pickle's order (nothing reads them). */
export class PySet {
  constructor(
    readonly items: unknown[],
    readonly frozen: boolean,
  ) {}
}

/** A Python tuple: an array frozen when it is made, so that APPEND or BUILD on it is refused as Python refuses it. */
export type PyTuple = readonly unknown[];

export const tuple = (items: unknown[]): PyTuple => Object.freeze(items);
export const isTuple = (value: unknown): value is PyTuple => Array.isArray(value) && Object.isFrozen(value);
export const isList = (value: unknown): value is unknown[] => Array.isArray(value) && !Object.isFrozen(value);

/** How an allowlisted class takes the BUILD opcode, as its Python counterpart does. */
export interface PyClassOptions {
  /**
   * A scikit-learn estimator: BaseEstimator.__setstate__ pops `_sklearn_version` from the
   * state, then merges the rest into the instance's attributes.
   */
  estimator?: boolean;
  /** Whether REDUCE may call the class, as Python calls `cls(*args)` (Tree, numpy.dtype, Cython losses). */
  callable?: boolean;
  /** numpy 2's bit generators take (state, seed sequence) as well as the state alone. */
  seedState?: boolean;
  /** A check Python makes when the state is set (sklearn's Tree checks its arrays): throws ModelFormatError. */
  checkState?: (object: PyObject) => void;
}

/** A plain attribute name: what a Python pickler writes for an instance's `__dict__`. */
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An instance of an allowlisted Python class: its qualified name, creation arguments and attributes. */
export class PyObject {
  /** The state the pickle's BUILD gave it, as given. */
  state: unknown = undefined;
  /** Its attributes, from that state: a dict of its own, never the state's (a shared dict stays shared data). */
  readonly attributes = new Map<string, unknown>();
  private built = false;

  constructor(
    /** `module.name`, exactly as the pickle names the class. */
    readonly type: string,
    readonly args: readonly unknown[],
    private readonly options: PyClassOptions = {},
  ) {}

  /** The BUILD opcode: Python's default `__dict__.update(state)`, or BaseEstimator's `__setstate__`. */
  __setstate__(state: unknown): void {
    // One BUILD per object is what every pickler writes; a second could replace or merge, by class.
    if (this.built) throw new ModelFormatError(`a second BUILD on one ${this.type}, which no pickler writes`);
    this.built = true;
    // numpy 2's BitGenerator.__setstate__ takes (state, seed sequence); the seed sequence was read as its own object.
    if (this.options.seedState && isTuple(state) && state.length === 2) [state] = state;
    if (!(state instanceof Map)) throw new ModelFormatError(`a BUILD state of ${this.type} that is ${describePython(state)}, not a dict`);
    for (const [key, value] of state) {
      if (typeof key !== 'string' || !ATTRIBUTE_NAME.test(key)) {
        throw new ModelFormatError(`a BUILD state of ${this.type} with the key ${describePython(key)}, which is not an attribute name`);
      }
      this.attributes.set(key, value);
    }
    // Python's BaseEstimator.__setstate__ pops it from the very dict it was given.
    if (this.options.estimator) state.delete('_sklearn_version');
    this.state = state;
    this.options.checkState?.(this);
  }
}

/**
 * An allowlisted global, as the pickle's GLOBAL or STACK_GLOBAL hands it over: a class (made
 * by NEWOBJ, and by REDUCE where Python's class takes arguments) or a function (called by
 * REDUCE). It carries the global's name, so that a class used as a value (DictVectorizer's
 * `dtype=np.float64`) can be recognised. Frozen: shared by every load.
 */
export class PyGlobal {
  constructor(
    readonly pythonName: string,
    readonly kind: 'class' | 'function',
    private readonly make: (args: readonly unknown[]) => unknown,
    /** Whether REDUCE may call it: every function; a class only where Python's takes positional arguments. */
    readonly callable: boolean,
  ) {
    Object.freeze(this);
  }

  /** REDUCE (`f(*args)`) or NEWOBJ (`cls.__new__(cls, *args)`). */
  call(args: readonly unknown[]): unknown {
    return this.make(args);
  }
}

/** A global whose call records an instance of the class: an allowlisted class. */
export function pythonClass(qualifiedName: string, options: PyClassOptions = {}): PyGlobal {
  return new PyGlobal(qualifiedName, 'class', (args) => new PyObject(qualifiedName, args, options), options.callable ?? false);
}

/** A global backed by a function of this runtime (numpy's array rebuilders), or a class that REDUCE makes (numpy.dtype). */
export function pythonCallable(
  qualifiedName: string,
  call: (...args: unknown[]) => unknown,
  kind: 'class' | 'function' = 'function',
): PyGlobal {
  return new PyGlobal(qualifiedName, kind, (args) => call(...args), true);
}

export function isPyGlobal(value: unknown): value is PyGlobal {
  return value instanceof PyGlobal;
}

/** The attributes of an instance, as its BUILD gave them. */
export function attributesOf(object: PyObject): Map<unknown, unknown> {
  return object.attributes;
}

/** A short description of any unpickled value, for error messages. */
export function describePython(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value instanceof PyObject) return value.type;
  if (value instanceof PyGlobal) return value.pythonName;
  if (value instanceof PyFloat) return describePython(value.value);
  if (isTuple(value)) return `a tuple of ${value.length}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof Map) return 'a dict';
  if (value instanceof PySet) return value.frozen ? 'a frozenset' : 'a set';
  if (value instanceof PyByteArray) return `a bytearray of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  const text = String(value);
  return text.length > 40 ? `${text.slice(0, 20)}... (${text.length} digits)` : text;
}

/**
 * An instance of an allowlisted dict subclass (scikit-learn's Bunch, in a VotingRegressor's
 * named_estimators_): its items as a Map. Bunch's own __setstate__ ignores the state a BUILD
 * gives it, and so does this.
 */
export class PyDict extends Map<unknown, unknown> {
  constructor(readonly type: string) {
    super();
  }

  __setstate__(_state: unknown): void {}
}

/** A global whose call makes an empty instance of an allowlisted dict subclass, filled by SETITEMS. */
export function pythonDictClass(qualifiedName: string): PyGlobal {
  return pythonCallable(qualifiedName, () => new PyDict(qualifiedName), 'class');
}
