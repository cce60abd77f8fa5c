import { escapeNonPrintable } from './safe-text';
import { RideValidator, type Validation } from './validate-ride';

/** A ride event is about 100 bytes; anything this large is not one, so it is not parsed. */
export const MAX_RIDE_EVENT_BYTES = 16 * 1024;

/** With a length that is a multiple of 4: standard base64, padded. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range, controls included.
const ASCII = /^[\x00-\x7f]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const defaultValidator = new RideValidator();

/**
 * Formats that producers send by mistake, by their first bytes, with what to do instead.
 * "not valid UTF-8" or "not valid JSON" would not say why.
 */
const KNOWN_BINARY: readonly { magic: readonly number[]; reason: string }[] = [
  {
    magic: [0xf3, 0x89, 0x9a, 0xc2],
    reason: 'data: a KPL aggregated record (Kinesis Producer Library aggregation); put one ride per record, or turn aggregation off',
  },
  { magic: [0x1f, 0x8b], reason: 'data: gzip data; put the ride JSON uncompressed' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], reason: 'data: zstd data; put the ride JSON uncompressed' },
  { magic: [0xff, 0xfe], reason: 'data: UTF-16 text (byte order mark FF FE); put the ride JSON as UTF-8' },
  { magic: [0xfe, 0xff], reason: 'data: UTF-16 text (byte order mark FE FF); put the ride JSON as UTF-8' },
  // Valid UTF-8, but JSON.parse (like Python's json.loads on text) refuses the mark.
  { magic: [0xef, 0xbb, 0xbf], reason: 'data: starts with a byte order mark (EF BB BF); put the ride JSON as UTF-8 without one' },
];

function decodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** Base64 'e' encodes a first byte of 0x78 to 0x7b: '{' starts every ride, and no magic number. */
const STARTS_LIKE_JSON = 0x65;

/** The reason for a record that starts like a known binary format, or undefined. */
function knownBinary(base64: string): string | undefined {
  // The common case first: no decoding for a record that starts like a JSON object.
  if (base64.charCodeAt(0) === STARTS_LIKE_JSON) return undefined;
  // Eight base64 characters are the first six bytes, enough for every magic number.
  const head = Buffer.from(base64.slice(0, 8), 'base64');
  return KNOWN_BINARY.find(({ magic }) => head.length >= magic.length && magic.every((byte, i) => head[i] === byte))?.reason;
}

/**
 * Kinesis record data (base64, as Lambda delivers it) to a validated ride event, or the
 * reason it can never be one. Never throws. The reason is printable ASCII whatever the
 * record holds.
 */
export function decodeRideRecord(data: string, validator: RideValidator = defaultValidator): Validation {
  // Decoders skip bad characters silently, so check the alphabet and padding first.
  if (data.length % 4 !== 0 || !BASE64.test(data)) return { ok: false, reason: 'data: not valid base64' };
  const bytes = decodedLength(data);
  if (bytes === 0) return { ok: false, reason: 'data: empty record' };
  const binary = knownBinary(data);
  if (binary !== undefined) return { ok: false, reason: binary };
  if (bytes > MAX_RIDE_EVENT_BYTES) {
    return { ok: false, reason: `data: ${bytes} bytes, over the ${MAX_RIDE_EVENT_BYTES}-byte limit for a ride event` };
  }
  // atob gives one character per byte, the fastest decode for short records; for ASCII,
  // which ride JSON is, that is already the text. Anything else must be strict UTF-8.
  let text = atob(data);
  if (!ASCII.test(text)) {
    try {
      text = utf8.decode(Buffer.from(text, 'latin1'));
    } catch {
      return { ok: false, reason: 'data: not valid UTF-8' };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the text, which may hold anything.
    return { ok: false, reason: `data: not valid JSON (${escapeNonPrintable((error as Error).message)})` };
  }
  return validator.validate(parsed, text);
}
