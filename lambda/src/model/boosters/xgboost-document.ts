/**
 * The bytes of an XGBoost model, whichever way it was saved, to the JSON document XGBoost
 * describes in doc/model.schema (`{"version": [...], "learner": {...}}`):
 * - `model.json`: JSON text; `model.ubj`: UBJSON; `model.xgb`: UBJSON from xgboost 2.1 on;
 * - the raw bytes a pickled `Booster` carries in its `handle` (`XGBoosterSerializeToBuffer`):
 *   JSON in xgboost 1.3 to 1.5, UBJSON from 1.6 on, both `{"Config": ..., "Model": ...}`,
 *   whose `Model` is the model document.
 * XGBoost's legacy binary format (what 2.0 and older write for any other file name, and what
 * pickles of 1.0 to 1.2 hold) is recognised by its header and refused with how to re-save it.
 */

import { isObject } from '../../is-object';
import { ModelFormatError } from '../errors';
import { decodeUbjson } from './ubjson';

/** How an XGBoost model's bytes are encoded. */
export type XGBoostEncoding = 'json' | 'ubjson' | 'legacy-binary' | 'legacy-pickle' | 'unknown';

/** How to re-save a legacy binary model, for the messages that refuse one. */
export const RESAVE_ADVICE =
  're-save it with the xgboost that wrote it, as UBJSON or JSON: ' +
  'xgb.Booster(model_file="model.xgb").save_model("model.ubj") (an XGBRegressor: model.save_model("model.ubj")), ' +
  'or log it again with mlflow.xgboost.log_model(model, ..., model_format="ubj"), ' +
  'or export it with its DictVectorizer to model.json (python3 tools/export_model.py model.xgb --vectorizer <the pickled DictVectorizer>)';

const ascii = (bytes: Uint8Array, start: number, length: number) => String.fromCharCode(...bytes.subarray(start, start + length));

const isSpace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * The legacy binary model without a header (xgboost before 1.0 wrote some so): a 136-byte
 * parameter block, then the objective's name as an 8-byte length and its text ("reg:...").
 */
function looksLikeHeaderlessBinary(bytes: Uint8Array): boolean {
  if (bytes.length < 136 + 8 + 3) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(136, true);
  if (view.getUint32(140, true) !== 0 || length < 3 || length > 64 || bytes.length < 144 + length) return false;
  return /^[a-z]+:[a-z_]+$/.test(ascii(bytes, 144, length));
}

/**
 * Which of XGBoost's encodings the bytes are in. JSON and UBJSON both open an object with
 * `{`; JSON then has a quote, a space or `}`, UBJSON the type of its first key's length.
 */
export function detectXGBoostEncoding(bytes: Uint8Array): XGBoostEncoding {
  let start = 0;
  // A UTF-8 byte-order mark, or white space, before a JSON document.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length && isSpace(bytes[start])) start++;
  if (bytes[start] === 0x7b /* { */) {
    let next = start + 1;
    while (next < bytes.length && isSpace(bytes[next])) next++;
    const marker = bytes[next];
    // JSON: a key's quote or the end of an empty object; white space was skipped above.
    if (marker === 0x22 /* " */ || (marker === 0x7d /* } */ && next > start + 1)) return 'json';
    if (next === start + 1 && 'iUIlL$#}'.includes(String.fromCharCode(marker))) return 'ubjson';
    return 'unknown';
  }
  const head = ascii(bytes, 0, 14);
  if (head.startsWith('binf') || head.startsWith('bs64')) return 'legacy-binary';
  if (head === 'CONFIG-offset:') return 'legacy-pickle';
  if (looksLikeHeaderlessBinary(bytes)) return 'legacy-binary';
  return 'unknown';
}

/** An own property only: a UBJSON key such as `__proto__` set a prototype, not a field. */
export const own = (object: Record<string, unknown>, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);

/** The model document, `{"version", "learner"}`, of a parsed model file or serialized booster. */
function modelDocument(parsed: unknown, what: string): Record<string, unknown> {
  if (!isObject(parsed)) throw new ModelFormatError(`${what}: expected an XGBoost model document (an object)`);
  // A serialized booster (a pickle's handle) is {"Config": ..., "Model": <the model document>}.
  const model = own(parsed, 'Model');
  const doc = isObject(model) && own(parsed, 'learner') === undefined ? model : parsed;
  if (!isObject(own(doc, 'learner'))) {
    throw new ModelFormatError(`${what}: not an XGBoost model document (it has no "learner" object)`);
  }
  if (doc === model) checkConfig(own(parsed, 'Config'), doc, what);
  return doc;
}

/** `learner.<part>.name` of a document, when it is a string. */
const nameOf = (doc: unknown, part: string): string | undefined => {
  const learner = isObject(doc) ? own(doc, 'learner') : undefined;
  const object = isObject(learner) ? own(learner, part) : undefined;
  const name = isObject(object) ? own(object, 'name') : undefined;
  return typeof name === 'string' ? name : undefined;
};

/**
 * A serialized booster's Config must name the booster and the objective its Model holds:
 * XGBoost applies the Config over the Model when it unpickles (a gbtree Model under a "dart"
 * Config makes it raise), so files that disagree are refused rather than guessed at.
 */
function checkConfig(config: unknown, model: Record<string, unknown>, what: string): void {
  for (const part of ['gradient_booster', 'objective']) {
    const [inConfig, inModel] = [nameOf(config, part), nameOf(model, part)];
    if (inConfig !== undefined && inModel !== undefined && inConfig !== inModel) {
      throw new ModelFormatError(`${what}: its Config's ${part} is ${inConfig} but its Model's is ${inModel}`);
    }
  }
}

/**
 * Parses an XGBoost model's bytes into its model document, or refuses them naming the format.
 * `what` names the source in messages (a file name, "the pickled booster").
 *
 * @example
 * const doc = readXGBoostDocument(readFileSync('model.ubj'), 'model.ubj');
 * doc.learner; // {"gradient_booster": ..., "objective": ..., "learner_model_param": ...}
 */
export function readXGBoostDocument(bytes: Uint8Array, what: string): Record<string, unknown> {
  const encoding = detectXGBoostEncoding(bytes);
  switch (encoding) {
    case 'json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch (error) {
        throw new ModelFormatError(`${what}: not valid JSON (${(error as Error).message})`);
      }
      return modelDocument(parsed, what);
    }
    case 'ubjson': {
      try {
        return modelDocument(decodeUbjson(bytes), what);
      } catch (error) {
        if (error instanceof ModelFormatError && !error.message.startsWith(what)) throw new ModelFormatError(`${what}: ${error.message}`);
        throw error;
      }
    }
    case 'legacy-binary':
      throw new ModelFormatError(
        `${what} is in XGBoost's legacy binary format (what xgboost 2.0 and older write for a name that does not end in .json or .ubj), ` +
          `which this runtime does not read: ${RESAVE_ADVICE}`,
      );
    case 'legacy-pickle':
      throw new ModelFormatError(
        `${what} is a booster serialized by xgboost 1.0 to 1.2 (a legacy binary model behind a JSON configuration), ` +
          `which this runtime does not read: load the pickle with that xgboost and ${RESAVE_ADVICE.replace(/^re-save it/, 're-save the booster')}`,
      );
    default:
      throw new ModelFormatError(`${what} is not an XGBoost model: neither JSON, UBJSON nor XGBoost's legacy binary format`);
  }
}
