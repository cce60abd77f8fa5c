/**
 * The text of a number exactly as a producer sent it. JSON.parse rounds: 9007199254740993
 * becomes 9007199254740992 and 1e400 becomes Infinity, so a reason that quoted the parsed value
 * would misquote the record, and a check of the parsed value alone would take
 * 9007199254740990.5 for the integer 9007199254740990. This is read on the rejection path,
 * and on the rare record whose text may hold such a literal (see MAY_ROUND_TO_INTEGER).
 */
import { parse } from 'lossless-json';
import { isObject } from '../is-object';

/**
 * Text that may hold a non-integer literal that JSON.parse rounds to an integer. Rounding
 * to an integer needs a fraction within 2^-53 of the value: with an integer part of up to
 * six digits, a fraction that starts with nine 0s or 9s (130.0000000000000001); a longer
 * integer part (9007199254740990.5); or an exponent (1e-400 is 0). Ordinary rides match
 * none of these, so they skip the slower exact parse.
 */
export const MAY_ROUND_TO_INTEGER = /\d{7}\.\d|\.(?:0{9}|9{9})|\d[eE]/;

const DECIMAL = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Whether a JSON number literal denotes an integer exactly ("256", "2.56e2", "1.0"; not "1.5" or "1e-400"). */
export function isIntegerLiteral(literal: string): boolean {
  const match = DECIMAL.exec(literal);
  if (match === null) return false;
  const [, whole, fraction = '', exponent = '0'] = match;
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return true; // zero, whatever its exponent
  const trailingZeros = digits.length - digits.replace(/0+$/, '').length;
  // The value is digits x 10^(exponent - fraction.length): an integer when that power's
  // negative part is covered by trailing zeros.
  return fraction.length - Number(exponent) <= trailingZeros;
}

class Literal {
  constructor(readonly text: string) {}
}

/** Finds number literals in one JSON text by their path of object keys. */
export class NumberLiterals {
  private tree: unknown;
  private parsed = false;

  constructor(private readonly text: string | undefined) {}

  /** The literal at `path` (`['ride', 'PULocationID']`), or undefined when it cannot be found. */
  at(path: readonly string[]): string | undefined {
    if (this.text === undefined) return undefined;
    if (!this.parsed) {
      this.parsed = true;
      try {
        // The last of duplicate keys wins, as in JSON.parse.
        this.tree = parse(this.text, null, { parseNumber: (text) => new Literal(text), onDuplicateKey: ({ newValue }) => newValue });
      } catch {
        this.tree = undefined; // deeper than the parser's stack, say: the parsed value is quoted instead
      }
    }
    let node = this.tree;
    for (const key of path) {
      if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
      node = node[key];
    }
    return node instanceof Literal ? node.text : undefined;
  }
}
