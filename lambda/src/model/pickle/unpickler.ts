/**
 * The pickle opcode loop, modelled opcode by opcode on CPython's `_pickle.c` (the Unpickler
 * behind `pickle.load`): the same stack and marks, the same checks, the same values. Where
 * CPython would read a value that this runtime cannot hold exactly, it refuses. It replaces
 * pickleparser 0.2.1's Parser.read, which diverges from CPython (docs/model-format.md lists
 * how), and keeps pickleparser's BufferReader (PickleInput) and the shape of its resolvers.
 */
import { activeLimits, pickleItemsExceeded } from '../limits';
import { NdArray } from './numpy';
import {
  ascii,
  decimalInt,
  failStream,
  floatText,
  memoIndex,
  type PickleInput,
  quotedString,
  rawUnicodeEscape,
  signedLittleEndian,
  utf8,
} from './pickle-input';
import { describePython, isList, isTuple, PyByteArray, PyFloat, PyGlobal, PySet, tuple } from './python-object';

/** Resolves GLOBAL and STACK_GLOBAL: pickleparser's NameResolver, with the module name already mapped as CPython maps it. */
export interface NameResolver {
  resolve(module: string, name: string): PyGlobal;
}

export interface UnpickleOptions {
  /**
   * Called after each BUILD with its target; a value returned replaces the target on the
   * stack (joblib's NumpyUnpickler reads an array's bytes from the stream there).
   */
  afterBuild?: (target: unknown) => unknown;
}

/** The highest protocol CPython 3.11 reads. */
const HIGHEST_PROTOCOL = 5;
/** LONG4's integers: a model's integers are counts, indices and seeds, never kilobytes long. */
const LONG4_MAX_BYTES = 1024;

const fail = failStream;

/** Anything BUILD may give state to: the records of allowlisted classes, numpy arrays and dtypes. */
interface Buildable {
  __setstate__(state: unknown): void;
}
const isBuildable = (value: unknown): value is Buildable =>
  typeof value === 'object' && value !== null && typeof (value as Partial<Buildable>).__setstate__ === 'function';

/** Python's hash(): a key or set item must have one. Lists, dicts, sets, bytearrays and arrays do not. */
function isHashable(value: unknown): boolean {
  if (isTuple(value)) return value.every(isHashable);
  if (Array.isArray(value) || value instanceof Map || value instanceof PyByteArray) return false;
  if (value instanceof PySet) return value.frozen && value.items.every(isHashable);
  // A numpy array has no hash; a dtype, an estimator or a global does.
  return !(value instanceof NdArray);
}

/**
 * A dict key. A Map compares keys as JavaScript does: strings and ints the same as Python,
 * but not a float and an int of one value, True and 1, or two equal tuples. Every dict a model
 * pickle holds is keyed by str (attributes, vocabularies, fields) or int, so those alone are read.
 */
function dictKey(key: unknown): string | number {
  if (typeof key === 'string' || (typeof key === 'number' && Number.isSafeInteger(key))) return key;
  if (!isHashable(key)) return fail(`a dict key that is ${describePython(key)}, which Python cannot hash (unhashable type)`);
  return fail(`a dict key that is ${describePython(key)}; this reader keeps only str and int keys`);
}

const opcodeName = (opcode: number) =>
  opcode >= 0x20 && opcode < 0x7f ? `'${String.fromCharCode(opcode)}'` : `0x${opcode.toString(16).padStart(2, '0')}`;

/**
 * Reads one pickle from `input`, to its STOP; what follows STOP is left unread, as
 * `pickle.load` leaves it. Every global goes through `names`.
 */
export function unpickleStream(input: PickleInput, names: NameResolver, options: UnpickleOptions = {}): unknown {
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let proto = 0;
  // A memo index beyond the data is none a pickler writes (it numbers the objects it writes).
  const memoLimit = input.length;
  // Python grows its stack and memo to what the file asks; here a crafted file of DUPs or
  // MEMOIZEs would exhaust the heap (a JavaScript array, a Map of at most 2^24 entries) first.
  const itemLimit = activeLimits().pickleItems;

  const fence = () => (marks.length > 0 ? marks[marks.length - 1] : 0);
  const underflow = (): never => fail('unpickling stack underflow');
  const pop = (): unknown => (stack.length > fence() ? stack.pop() : underflow());
  const top = (): unknown => (stack.length > fence() ? stack[stack.length - 1] : underflow());
  /** The items since the last MARK, which is removed. */
  const popMark = (): unknown[] => {
    const mark = marks.pop() ?? fail('could not find MARK');
    return stack.splice(mark);
  };
  const put = (index: number) => {
    if (index >= memoLimit) fail(`a memo index ${index} beyond the pickle's ${memoLimit} bytes`);
    memo.set(index, top());
    if (memo.size > itemLimit) pickleItemsExceeded(itemLimit, 'memo');
  };
  const get = (index: number) => {
    if (!memo.has(index)) fail(`Memo value not found at index ${index}`);
    stack.push(memo.get(index));
  };
  const resolve = (module: unknown, name: unknown): PyGlobal => {
    if (typeof module !== 'string' || typeof name !== 'string') return fail('STACK_GLOBAL requires str');
    // CPython's fix_imports: before protocol 3, Python 2's module names are Python 3's.
    return names.resolve(proto < 3 && module === '__builtin__' ? 'builtins' : module, name);
  };
  const setItems = (dict: unknown, items: unknown[], opcode: string) => {
    if (items.length % 2 !== 0) fail(`odd number of items for ${opcode}`);
    if (!(dict instanceof Map)) fail(`${opcode} on ${describePython(dict)}, not a dict`);
    for (let i = 0; i < items.length; i += 2) (dict as Map<unknown, unknown>).set(dictKey(items[i]), items[i + 1]);
  };
  const append = (list: unknown, items: unknown[], opcode: string) => {
    if (!isList(list)) fail(`${opcode} on ${describePython(list)}, not a list`);
    for (const item of items) (list as unknown[]).push(item);
  };
  const setOf = (items: unknown[], frozen: boolean) => {
    if (!items.every(isHashable)) fail('a set item that Python cannot hash (unhashable type)');
    return new PySet(items, frozen);
  };
  const bytes = (length: number) => input.take(length);

  while (input.hasNext()) {
    if (stack.length + marks.length > itemLimit) pickleItemsExceeded(itemLimit, 'stack');
    const opcode = input.byte();
    switch (opcode) {
      case 0x80: {
        // PROTO
        const version = input.byte();
        if (version > HIGHEST_PROTOCOL) fail(`unsupported pickle protocol: ${version}`);
        proto = version;
        break;
      }
      case 0x95: {
        // FRAME: only its length is checked, as in CPython
        const length = input.size64();
        if (length > input.remaining) fail('pickle data was truncated (a FRAME longer than the data)');
        input.frame(length);
        break;
      }
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP: pops a MARK when one is on top, as CPython's load_pop does
        if (marks.length > 0 && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;

      // Memo
      case 0x70: // PUT
        put(memoIndex(input.asciiLine()));
        break;
      case 0x71: // BINPUT
        put(input.byte());
        break;
      case 0x72: // LONG_BINPUT
        put(input.uint32());
        break;
      case 0x94: // MEMOIZE: at the number of indices in the memo
        put(memo.size);
        break;
      case 0x67: // GET
        get(memoIndex(input.asciiLine()));
        break;
      case 0x68: // BINGET
        get(input.byte());
        break;
      case 0x6a: // LONG_BINGET
        get(input.uint32());
        break;

      // Constants and numbers
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: {
        // INT: "00" and "01" are False and True
        const text = input.asciiLine();
        stack.push(text === '00' ? false : text === '01' ? true : decimalInt(text, 'INT'));
        break;
      }
      case 0x4a: // BININT
        stack.push(input.int32());
        break;
      case 0x4b: // BININT1
        stack.push(input.byte());
        break;
      case 0x4d: // BININT2
        stack.push(input.uint16());
        break;
      case 0x4c: // LONG: Python 2's long, written with a trailing L
        stack.push(decimalInt(input.asciiLine().replace(/(?<=.)L$/, ''), 'LONG'));
        break;
      case 0x8a: // LONG1
        stack.push(signedLittleEndian(bytes(input.byte())));
        break;
      case 0x8b: {
        // LONG4
        const length = input.int32();
        if (length < 0) fail('LONG pickle has negative byte count');
        if (length > LONG4_MAX_BYTES) fail(`the pickle holds an integer of ${length} bytes (LONG4), which no model needs`);
        stack.push(signedLittleEndian(bytes(length)));
        break;
      }
      case 0x46: // FLOAT
        stack.push(floatText(input.asciiLine()));
        break;
      case 0x47: // BINFLOAT: big-endian
        stack.push(new PyFloat(input.float64()));
        break;

      // Strings and bytes
      case 0x53: // STRING
        stack.push(quotedString(input.lineBytes()));
        break;
      case 0x54: {
        // BINSTRING
        const length = input.int32();
        if (length < 0) fail('BINSTRING pickle has negative byte count');
        stack.push(ascii(bytes(length)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(ascii(bytes(input.byte())));
        break;
      case 0x56: // UNICODE
        stack.push(rawUnicodeEscape(input.lineBytes()));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(bytes(input.uint32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(bytes(input.byte())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(bytes(input.size64())));
        break;
      case 0x42: // BINBYTES: an unsigned length, as in CPython (pickleparser reads it signed, and a negative one reads backwards)
        stack.push(bytes(input.uint32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(input.byte()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(input.size64()));
        break;
      case 0x96: {
        // BYTEARRAY8: a view of the file's bytes, kept apart from bytes; nothing here writes to it, so no copy is needed
        const data = bytes(input.size64());
        stack.push(new PyByteArray(data.buffer as ArrayBuffer, data.byteOffset, data.length));
        break;
      }

      // Tuples, lists, dicts, sets
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        append(top(), [item], 'APPEND');
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items, 'APPENDS');
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const dict = new Map();
        setItems(dict, popMark(), 'DICT');
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value], 'SETITEM');
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items, 'SETITEMS');
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(setOf([], false));
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof PySet) || set.frozen) fail(`ADDITEMS on ${describePython(set)}, not a set`);
        (set as PySet).items.push(...setOf(items, true).items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(setOf(popMark(), true));
        break;

      // Globals and objects
      case 0x63: {
        // GLOBAL: module and name lines, in UTF-8
        const module = utf8(input.lineBytes());
        stack.push(resolve(module, utf8(input.lineBytes())));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        stack.push(resolve(pop(), name));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args), args a tuple
        const args = pop();
        const callable = pop();
        if (!isTuple(args)) fail(`REDUCE with arguments that are ${describePython(args)}, not a tuple`);
        if (!(callable instanceof PyGlobal) || !callable.callable)
          fail(`REDUCE on ${describePython(callable)}, which Python would not call so`);
        stack.push((callable as PyGlobal).call(args as readonly unknown[]));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        if (!isTuple(args)) fail('NEWOBJ expected an arg tuple.');
        if (!(cls instanceof PyGlobal) || cls.kind !== 'class') fail(`NEWOBJ class argument ${describePython(cls)} isn't a type object`);
        stack.push((cls as PyGlobal).call(args as readonly unknown[]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: with keyword arguments, which no allowlisted class takes
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!isTuple(args)) fail('NEWOBJ_EX args argument must be a tuple');
        if (!(kwargs instanceof Map) || kwargs.size > 0) fail('NEWOBJ_EX with keyword arguments');
        if (!(cls instanceof PyGlobal) || cls.kind !== 'class') fail(`NEWOBJ_EX class argument ${describePython(cls)} isn't a type object`);
        stack.push((cls as PyGlobal).call(args as readonly unknown[]));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        if (!isBuildable(target) || target instanceof PyGlobal) {
          // Python: a list, dict, str or number has no __dict__ to update; pickleparser's Object.assign would set a list's length.
          fail(`BUILD on ${describePython(target)}, which has no state to set`);
        }
        (target as Buildable).__setstate__(state);
        const replacement = options.afterBuild?.(target);
        if (replacement !== undefined) stack[stack.length - 1] = replacement;
        break;
      }
      case 0x69: // INST
      case 0x6f: // OBJ
        return fail(`the protocol-0 opcode ${opcodeName(opcode)} (INST or OBJ), which Python 3 never writes`);
      case 0x50: // PERSID
      case 0x51: // BINPERSID
        return fail('the pickle refers to a persistent id, which a model pickle never needs');
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        return fail('the pickle refers to an extension code, which a model pickle never needs');
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        return fail('pickle stream refers to out-of-band data (protocol 5 buffers), which a model file cannot carry');
      default:
        return fail(`invalid load key, ${opcodeName(opcode)}`);
    }
  }
  return fail('pickle data was truncated (no STOP)');
}
