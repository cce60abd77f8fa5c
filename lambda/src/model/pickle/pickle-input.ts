/**
 * The bytes of a pickle as the opcode loop reads them: pickleparser's BufferReader for the
 * fixed-size fields, and the text of the protocol-0 opcodes and of strings decoded exactly as
 * CPython's `_pickle.c` decodes them, or refused where the two could differ. pickleparser's own
 * decoding is not used for text: its `TextDecoder`s drop a leading U+FEFF, replace invalid
 * UTF-8, and its 'ascii' is windows-1252.
 */
import { BufferReader } from 'pickleparser';
import { ModelFormatError } from '../errors';
import { PyFloat } from './python-object';

/** The bytes are not a pickle CPython and this reader read alike: truncated, malformed, or beyond what the reader keeps. */
export class PickleStreamError extends ModelFormatError {
  override name = 'PickleStreamError';
}

/** Refuses the stream with the problem found in it. */
export const failStream: (problem: string) => never = (problem) => {
  throw new PickleStreamError(problem);
};
const fail = failStream;

// Strict, and keeping a leading U+FEFF: a string comes back byte for byte or not at all.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes read from the pickle, with the length checks CPython makes before it reads. */
export class PickleInput extends BufferReader {
  constructor(private readonly data: Uint8Array) {
    super(data);
  }

  /** Where the last FRAME ends: joblib's Python unpickler reads a frame ahead, so the file after it is read past it. */
  private frameEnd = 0;

  get remaining(): number {
    return this.data.length - this.position;
  }

  /** Starts a FRAME of `length` bytes at the reader's position. */
  frame(length: number): void {
    this.frameEnd = this.position + length;
  }

  /** Whether the reader is inside a FRAME's bytes, which joblib's Python unpickler has already read ahead. */
  get insideFrame(): boolean {
    return this.position < this.frameEnd;
  }

  /** `length` bytes; a length beyond the data (or negative, or beyond 2^53) is "truncated", never a read backwards. */
  take(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) fail(`a byte count of ${length}`);
    if (length > this.remaining) fail(`pickle data was truncated (${length} bytes wanted, ${this.remaining} left)`);
    return this.bytes(length) as Uint8Array;
  }

  /** An 8-byte little-endian size, exact (pickleparser's uint64 rounds beyond 2^53 and warns). */
  size64(): number {
    const low = this.uint32();
    const high = this.uint32();
    if (high >= 2 ** 21) fail('an 8-byte size beyond 2^53');
    return high * 2 ** 32 + low;
  }

  /** The bytes up to the next newline, which is consumed; CPython's readline. */
  lineBytes(): Uint8Array {
    const end = this.data.indexOf(0x0a, this.position);
    if (end === -1) fail('pickle data was truncated (a line without its newline)');
    const line = this.take(end - this.position);
    this.skip(1);
    return line;
  }

  /** A line of ASCII text (numbers, memo indices). */
  asciiLine(): string {
    return ascii(this.lineBytes());
  }
}

/** Bytes decoded as UTF-8, strictly, keeping a leading U+FEFF. CPython passes lone surrogates ('surrogatepass'); they are refused here. */
export function utf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return fail('a string that is not UTF-8 (or holds a lone surrogate, which this reader does not keep)');
  }
}

/** Bytes decoded as ASCII, strictly: CPython's default for Python 2 strings (encoding='ASCII', errors='strict'). */
export function ascii(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    if (byte > 0x7f) fail(`a Python 2 string with the byte 0x${byte.toString(16)}, which is not ASCII`);
    text += String.fromCharCode(byte);
  }
  return text;
}

/** An int, as a number when it is exact in a double and a bigint otherwise. */
function intValue(value: bigint): number | bigint {
  return value >= -BigInt(Number.MAX_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** A signed little-endian two's-complement integer (LONG1, LONG4), exact. */
export function signedLittleEndian(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i].toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return intValue(value);
}

/**
 * The text of INT and LONG, as Python's pickler writes it (`repr(int)`, with LONG's trailing
 * L). CPython would also read other forms (INT by C's strtol: `0x1` is 1, `010` is 8; LONG by
 * int(text, 0): `1_0` is 10), and Python's pickle.py reads some of them otherwise: refused.
 */
export function decimalInt(text: string, opcode: string): number | bigint {
  const match =
    /^(-?)(0|[1-9][0-9]*)$/.exec(text) ??
    fail(`an ${opcode} opcode with the text ${JSON.stringify(text.slice(0, 40))}, which is not a plain decimal`);
  // No -0: Python's int has one zero.
  return intValue(BigInt(match[2]) * (match[1] ? -1n : 1n));
}

/** A memo index of PUT or GET: decimal digits (CPython reads them in base 10). */
export function memoIndex(text: string): number {
  if (!/^[0-9]{1,15}$/.test(text)) fail(`a memo index ${JSON.stringify(text.slice(0, 40))} that is not a decimal number`);
  return Number(text);
}

/**
 * The text of FLOAT, as `repr(float)` writes it. CPython reads it with PyOS_string_to_double:
 * a finite literal that overflows is an error there (JavaScript would give Infinity), and no
 * leading space or underscore is allowed.
 */
export function floatText(text: string): PyFloat {
  const lower = text.toLowerCase();
  const special = /^([-+]?)(inf|infinity|nan)$/.exec(lower);
  if (special) {
    if (special[2] === 'nan') return new PyFloat(Number.NaN);
    return new PyFloat(special[1] === '-' ? -Infinity : Infinity);
  }
  if (!/^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9]+)?$/.test(lower))
    fail(`a FLOAT opcode with the text ${JSON.stringify(text.slice(0, 40))}`);
  const value = Number(lower);
  if (!Number.isFinite(value)) fail(`a FLOAT opcode whose value ${text.slice(0, 40)} overflows a double`);
  return new PyFloat(value);
}

const SIMPLE_ESCAPES: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };
const isHex = (byte: number) => (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46);

/**
 * STRING's argument: a quoted Python 2 string literal, unescaped as CPython's
 * PyBytes_DecodeEscape does, then decoded as ASCII. An unknown escape (`\q`) stays as it is in
 * CPython, with a warning: refused here, as no pickler writes one.
 */
export function quotedString(line: Uint8Array): string {
  const quote = line[0];
  if (line.length < 2 || line[line.length - 1] !== quote || (quote !== 0x22 && quote !== 0x27)) {
    fail('the STRING opcode argument must be quoted');
  }
  const out: number[] = [];
  for (let i = 1; i < line.length - 1; i++) {
    const byte = line[i];
    if (byte !== 0x5c) {
      out.push(byte);
      continue;
    }
    if (++i >= line.length - 1) fail('a STRING opcode that ends in a lone backslash');
    const next = line[i];
    const simple = SIMPLE_ESCAPES[String.fromCharCode(next)];
    if (simple !== undefined) out.push(simple);
    else if (next >= 0x30 && next <= 0x37) {
      // \ooo: one to three octal digits; CPython keeps the low 8 bits.
      let value = next - 0x30;
      for (let n = 1; n < 3 && i + 1 < line.length - 1 && line[i + 1] >= 0x30 && line[i + 1] <= 0x37; n++)
        value = value * 8 + line[++i] - 0x30;
      out.push(value & 0xff);
    } else if (next === 0x78 && i + 2 < line.length - 1 && isHex(line[i + 1]) && isHex(line[i + 2])) {
      out.push(Number.parseInt(String.fromCharCode(line[i + 1], line[i + 2]), 16));
      i += 2;
    } else fail(`a STRING opcode with the escape \\${String.fromCharCode(next)}`);
  }
  return ascii(Uint8Array.from(out));
}

/**
 * UNICODE's argument: raw-unicode-escape, as CPython decodes it. Bytes are code points
 * (latin-1); `\uXXXX` and `\UXXXXXXXX` are escapes, any other backslash stays with the byte
 * after it. An escape of a surrogate is refused, so that every string read means one Python str.
 */
export function rawUnicodeEscape(line: Uint8Array): string {
  let text = '';
  for (let i = 0; i < line.length; i++) {
    const byte = line[i];
    const next = line[i + 1];
    if (byte !== 0x5c || (next !== 0x75 && next !== 0x55)) {
      text += String.fromCharCode(byte);
      if (byte === 0x5c && i + 1 < line.length) text += String.fromCharCode(line[++i]);
      continue;
    }
    const digits = next === 0x75 ? 4 : 8;
    const hex = line.subarray(i + 2, i + 2 + digits);
    if (hex.length < digits || !hex.every(isHex)) fail('a UNICODE opcode with a truncated \\u or \\U escape');
    const code = Number.parseInt(String.fromCharCode(...hex), 16);
    if (code > 0x10ffff) fail('a UNICODE opcode with a \\U escape out of range');
    if (code >= 0xd800 && code <= 0xdfff) fail('a UNICODE opcode with an escaped surrogate, which this reader does not keep');
    text += String.fromCodePoint(code);
    i += 1 + digits;
  }
  return text;
}
