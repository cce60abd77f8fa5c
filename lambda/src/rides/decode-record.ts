import { validateRideEvent, type Validation } from './validate-ride';

/** A ride event is about 100 bytes; anything this large is not one, so it is not parsed. */
export const MAX_RIDE_EVENT_BYTES = 16 * 1024;

/** With a length that is a multiple of 4: standard base64, padded. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ASCII = /^[\x00-\x7f]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/**
 * Kinesis record data (base64, as Lambda delivers it) to a validated ride event, or the
 * reason it can never be one. Never throws.
 */
export function decodeRideRecord(data: string): Validation {
  // Decoders skip bad characters silently, so check the alphabet and padding first.
  if (data.length % 4 !== 0 || !BASE64.test(data)) return { ok: false, reason: 'data: not valid base64' };
  const bytes = decodedLength(data);
  if (bytes === 0) return { ok: false, reason: 'data: empty record' };
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
    return { ok: false, reason: `data: not valid JSON (${(error as Error).message})` };
  }
  return validateRideEvent(parsed);
}
