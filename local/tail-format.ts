/** How `npm run tail` prints what arrives: prediction events as they are, dead letters with their data decoded where it is text. */
import type { DeadLetter } from '../lambda/src';
import { escapeNonPrintable } from '../lambda/src';

/** Characters of a record's text shown before it is cut. */
const SHOWN = 300;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A record's data as a person reads it: its text when it is UTF-8 (escaped where not printable), else its size and first bytes. */
export function describeData(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) return '(empty)';
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    return `${bytes.length} bytes, not text: ${head}${bytes.length > 8 ? ' ...' : ''}`;
  }
  const shown = escapeNonPrintable(text.length > SHOWN ? text.slice(0, SHOWN) : text);
  return text.length > SHOWN ? `${shown}... (${text.length} characters)` : shown;
}

export function formatPrediction(data: Uint8Array): string {
  return `prediction  ${Buffer.from(data).toString('utf8')}`;
}

/** A dead letter's reason, and on the next line its data: decoded, cut, or where it is kept whole. */
export function formatDeadLetter(body: string): string {
  let letter: DeadLetter;
  try {
    letter = JSON.parse(body) as DeadLetter;
  } catch {
    return `dead letter (not a dead letter of this service): ${escapeNonPrintable(body.slice(0, SHOWN))}`;
  }
  const data =
    letter.dataLocation !== undefined
      ? `whole at ${letter.dataLocation}`
      : `${describeData(letter.data)}${letter.dataTruncated ? ` [cut: ${letter.dataNote ?? 'data truncated'}]` : ''}`;
  return `dead letter ${letter.sequenceNumber}: ${letter.reason}\n            data: ${data}`;
}
