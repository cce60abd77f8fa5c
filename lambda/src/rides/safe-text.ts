/*
 * Text that is safe anywhere a reason goes: SQS message bodies (whose character set excludes
 * U+FFFE, U+FFFF, lone surrogates and most control characters), logs and terminals. What a
 * producer sent is quoted with everything outside printable ASCII escaped as JSON does
 * (`\uXXXX`), so the reason stays exact and readable, and can never poison a message.
 */

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;
const QUOTED_ESCAPES = /[^\x20-\x7e]|["\\]/g;

const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Escapes every UTF-16 unit outside printable ASCII as `\uXXXX`; printable ASCII is left as it is. */
export function escapeNonPrintable(text: string): string {
  return text.replace(NOT_PRINTABLE_ASCII, unicodeEscape);
}

/** A string as a JSON literal in printable ASCII: `"caf\u00e9"`. */
export function quote(text: string): string {
  return `"${text.replace(QUOTED_ESCAPES, (c) => (c === '"' || c === '\\' ? `\\${c}` : unicodeEscape(c)))}"`;
}
