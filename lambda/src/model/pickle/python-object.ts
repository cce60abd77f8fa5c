/*
 * Python values as the unpickler rebuilds them: plain data (numbers, strings, lists as
 * arrays, dicts as Maps) and, for the classes of the allowlist, inert records of what the
 * pickle said. Nothing here runs code of the model's: an object is its type name, the
 * arguments it was created with and the state it was given.
 */

/** An instance of an allowlisted Python class: its qualified name, creation arguments and state. */
export class PyObject {
  /** Set by the pickle's BUILD opcode: usually a dict (a Map) of the instance's attributes. */
  state: unknown = undefined;

  constructor(
    /** `module.name`, exactly as the pickle names the class. */
    readonly type: string,
    readonly args: readonly unknown[],
  ) {}

  __setstate__(state: unknown): void {
    this.state = state;
  }
}

/**
 * What the unpickler hands over for an allowlisted global: a function that, called (the
 * REDUCE opcode) or constructed (NEWOBJ), makes the value the global stands for. It carries
 * the global's name, so that a class used as a value (DictVectorizer's `dtype=np.float64`)
 * can be recognised.
 */
export interface PyGlobal {
  (...args: unknown[]): unknown;
  readonly pythonName: string;
}

/** A global whose call records an instance of the class: an allowlisted class. */
export function pythonClass(qualifiedName: string): PyGlobal {
  return pythonCallable(qualifiedName, (...args) => new PyObject(qualifiedName, args));
}

/**
 * A global backed by a function of this runtime (numpy's array rebuilders). A plain
 * `function`, so that both REDUCE (a call) and NEWOBJ (`Reflect.construct`) work; a
 * constructor that returns an object yields that object.
 */
export function pythonCallable(qualifiedName: string, call: (...args: unknown[]) => unknown): PyGlobal {
  // biome-ignore lint/complexity/useArrowFunction: an arrow function cannot be constructed, and NEWOBJ constructs.
  const global = function (...args: unknown[]) {
    return call(...args);
  } as PyGlobal;
  Object.defineProperty(global, 'pythonName', { value: qualifiedName });
  // Shared by every load: frozen, so that a pickle's BUILD on a global cannot change it for the next.
  return Object.freeze(global);
}

export function isPyGlobal(value: unknown): value is PyGlobal {
  return typeof value === 'function' && typeof (value as Partial<PyGlobal>).pythonName === 'string';
}

/** The attributes of an instance: its state dict, merged with the slot state when there is one. */
export function attributesOf(object: PyObject): Map<unknown, unknown> {
  const { state } = object;
  if (state instanceof Map) return state;
  // BUILD with (state, slotstate), for classes with __slots__.
  if (Array.isArray(state) && state.length === 2) {
    return new Map([...(state[0] instanceof Map ? state[0] : []), ...(state[1] instanceof Map ? state[1] : [])]);
  }
  return new Map();
}

/** A short description of any unpickled value, for error messages. */
export function describePython(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value instanceof PyObject) return value.type;
  if (isPyGlobal(value)) return value.pythonName;
  if (Array.isArray(value)) return `a sequence of ${value.length}`;
  if (value instanceof Map) return 'a dict';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
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
  return pythonCallable(qualifiedName, () => new PyDict(qualifiedName));
}
