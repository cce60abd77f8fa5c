/**
 * One model file, whatever it is, read into the parts it holds: a pickle (MLflow's model.pkl,
 * a `(dv, model)` tuple), a joblib file (plain, or compressed with zlib or gzip), a model.json
 * document, an XGBoost model file (JSON, UBJSON, its legacy binary) or LightGBM's text model.
 * The file's first bytes say what it is, never its name; a file that is none of them is
 * refused, saying what it looks like. Each file is read under one LoadBudget (limits.ts).
 */
import { detectXGBoostEncoding } from './boosters';
import { fail, ModelFormatError } from './errors';
import { lightgbmFile } from './families/lightgbm';
import { xgboostFile } from './families/xgboost';
import { type Producer, parseModelDocument } from './format';
import { combineParts, type ModelFileFormat, type ModelPart, partsOfPickle } from './layouts';
import { withLoadBudget } from './limits';
import { unjoblib } from './pickle/joblib';
import { joblibCompression, unreadableKind } from './pickle/joblib-kinds';
import { attributesOf, PyObject } from './pickle/python-object';
import { unpickle } from './pickle/unpickle';
import type { SpecBase } from './stage';

export type { ModelFileFormat } from './layouts';

export interface ModelFile {
  readonly parts: readonly ModelPart[];
  readonly format: ModelFileFormat;
  /** The scikit-learn version that pickled it (its estimators' `_sklearn_version`), or that the export records. */
  readonly sklearnVersion?: string;
  /** model.json only: who wrote it, and from what pickle. */
  readonly producer?: Producer;
}

const PICKLE_PROTO = 0x80;
/** LightGBM's text model format starts so (`tree` then `version=v4`). */
const LIGHTGBM_TEXT = 'tree\nversion=';

const startsWith = (bytes: Uint8Array, text: string) => text.split('').every((c, i) => bytes[i] === c.charCodeAt(0));

/** The scikit-learn version recorded in a pickle's estimators, looking one level into a dict or tuple. */
function sklearnVersionOf(root: unknown): string | undefined {
  const candidates = root instanceof Map ? [...root.values()] : Array.isArray(root) ? root : [root];
  for (const value of candidates) {
    if (!(value instanceof PyObject)) continue;
    const attributes = attributesOf(value);
    const version = attributes.get('_sklearn_version');
    if (typeof version === 'string') return version;
    const steps = attributes.get('steps');
    if (Array.isArray(steps)) {
      for (const step of steps) {
        const estimator = Array.isArray(step) ? step[1] : undefined;
        const v = estimator instanceof PyObject ? attributesOf(estimator).get('_sklearn_version') : undefined;
        if (typeof v === 'string') return v;
      }
    }
  }
  return undefined;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return fail('', `not valid JSON (${(error as Error).message})`);
  }
}

/** What a file that is no model file looks like, for the refusal. */
function describeBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty file';
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
  return `a file of ${bytes.length} bytes starting ${JSON.stringify(text)}`;
}

export interface ReadOptions {
  /**
   * Read a pickle as `pickle.load` reads it (MLflow's sklearn flavor loads its model.pkl so),
   * rather than as `joblib.load`, which reads a plain pickle and joblib's files alike.
   */
  readonly pickleOnly?: boolean;
}

/** Reads a model file into its parts; throws ModelFormatError saying what it is and what is wrong. */
export function readModelFile(bytes: Uint8Array, name: string, options: ReadOptions = {}): ModelFile {
  try {
    return withLoadBudget(() => readParts(bytes, name, options));
  } catch (error) {
    // Values nested deeper than any limit checks (tuples within tuples, say): refused, not a crash of the start.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new ModelFormatError(`${name}: its values are nested too deeply to read (the call stack ran out), which no real model's are`);
    }
    throw error;
  }
}

function readParts(bytes: Uint8Array, name: string, { pickleOnly = false }: ReadOptions): ModelFile {
  const compression = joblibCompression(bytes);
  if (bytes[0] === PICKLE_PROTO || (!pickleOnly && (compression === 'zlib' || compression === 'gzip'))) {
    const root = pickleOnly ? unpickle(bytes) : unjoblib(bytes);
    return { parts: partsOfPickle(root, name), format: 'pickle', sklearnVersion: sklearnVersionOf(root) };
  }
  const encoding = detectXGBoostEncoding(bytes);
  if (encoding === 'ubjson' || encoding === 'legacy-binary' || encoding === 'legacy-pickle') {
    return { parts: [{ spec: xgboostFile(bytes, name), from: name }], format: 'xgboost' };
  }
  if (startsWith(bytes, LIGHTGBM_TEXT)) {
    return {
      parts: [{ spec: lightgbmFile(new TextDecoder('utf-8', { fatal: true }).decode(bytes), name), from: name }],
      format: 'lightgbm',
    };
  }
  if (encoding === 'json') {
    const json = parseJson(bytes);
    // An XGBoost model document (a Booster's save_model to .json), or this runtime's model.json.
    if (typeof json === 'object' && json !== null && 'learner' in json) {
      return { parts: [{ spec: xgboostFile(bytes, name), from: name }], format: 'xgboost' };
    }
    const document = parseModelDocument(json);
    const { producer } = document;
    return { parts: [{ spec: document.model, from: name }], format: 'json', sklearnVersion: producer?.sklearn_version, producer };
  }
  const kind = unreadableKind(bytes);
  if (kind !== undefined) throw new ModelFormatError(`it is ${kind}`);
  return fail('', `${describeBytes(bytes)}: not a pickle, a joblib file, a model.json, an XGBoost or a LightGBM model`);
}

/** The checked spec of a single pickle that holds one whole model (or its parts); throws ModelFormatError naming what is wrong. */
export function readPickledModel(bytes: Uint8Array, name = 'model.pkl'): SpecBase {
  return withLoadBudget(() => combineParts(partsOfPickle(unjoblib(bytes), name), name).spec);
}
