/**
 * The text of a number exactly as a producer sent it. JSON.parse rounds: 9007199254740993
 * becomes 9007199254740992 and 1e400 becomes Infinity, so a reason that quoted the parsed value
 * would misquote the record. Only the rejection path reads this, once per rejected record.
 */
import { parse } from 'lossless-json';

class Literal {
  constructor(readonly text: string) {}
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
