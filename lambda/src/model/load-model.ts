/**
 * Loads the model a location holds, as MLflow logged it: the sklearn flavor's pickle
 * (model.pkl), read natively by the allowlisting unpickler. A model.json made by
 * tools/export_model.py is served only where the pickle cannot be (an XGBoost model) and
 * only when it records that very pickle's sha256, so it is never served stale; with no
 * pickle at all, it is the model.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { MODEL_FILE_NAME, type ModelDocument, ModelFormatError, parseModelDocument } from './format';
import { chargeDocument, withLoadBudget } from './limits';
import { type MlflowModelInfo, parseMlmodel } from './mlmodel';
import { describeLocation, type ModelLocation, type ModelSource, openModelSource } from './model-source';
import { readJoblibModel } from './pickle/joblib';
import { joblibCompression, unreadableKind } from './pickle/joblib-kinds';
import { readPickledModel } from './pickle/sklearn-pipeline';
import { buildModel, type PipelineModel } from './pipeline';

/** The model could not be loaded; the message names the location and what is wrong. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** MLflow's description of the model: run, flavors, signature. */
export const MLMODEL_FILE_NAME = 'MLmodel';
/** The sklearn flavor's pickle when MLmodel does not name another. */
export const DEFAULT_PICKLE_NAME = 'model.pkl';

export interface LoadedModel {
  model: PipelineModel;
  /** Where it was read from: a directory or a file. */
  where: string;
  /** The file served: the pickle, model.json, or the single file the location names. */
  file: string;
  /** The served file's full path or S3 URI. */
  path: string;
  format: 'pickle' | 'json';
  /** MLflow's MLmodel of the directory, when there is one. */
  mlmodel?: MlflowModelInfo;
  /** Why a model.json beside the pickle was or was not served, for the start-up log. */
  note?: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const PICKLE_PROTO = 0x80;

/** Runs one step; any failure becomes a ModelLoadError that says where and what. */
async function attempt<T>(context: string, step: () => Promise<T> | T): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ModelLoadError) throw error;
    throw new ModelLoadError(`${context}: ${(error as Error).message}`, { cause: error });
  }
}

function parseJsonModel(bytes: Uint8Array): ModelDocument {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelFormatError(`not valid JSON (${(error as Error).message})`);
  }
  return withLoadBudget(() => {
    const document = parseModelDocument(json);
    chargeDocument(document);
    return document;
  });
}

/**
 * A single model file: a pickle or a joblib file (it starts with the PROTO opcode, or is
 * joblib's zlib or gzip), read as joblib.load reads both, or a model.json document. A file of
 * another known kind (another compression, XGBoost's binary formats) is refused by name.
 */
function readModelFile(bytes: Uint8Array): { document: ModelDocument; format: LoadedModel['format'] } {
  const compression = joblibCompression(bytes);
  if (bytes[0] === PICKLE_PROTO || compression === 'zlib' || compression === 'gzip')
    return { document: readJoblibModel(bytes), format: 'pickle' };
  const kind = unreadableKind(bytes);
  if (kind !== undefined) throw new ModelFormatError(`it is ${kind}`);
  return { document: parseJsonModel(bytes), format: 'json' };
}

type Loaded = Omit<LoadedModel, 'model' | 'path'> & { document: ModelDocument };

async function loadDirectory(source: Extract<ModelSource, { kind: 'directory' }>): Promise<Loaded> {
  const { where, read } = source;
  const cannot = (what: string) => `cannot load the model from ${where}: ${what}`;
  // MLmodel and the usual pickle at once: a cold start waits for one round trip, not two.
  const [mlmodelBytes, usualPickle] = await attempt(cannot('cannot read it'), () =>
    Promise.all([read(MLMODEL_FILE_NAME), read(DEFAULT_PICKLE_NAME)]),
  );
  const mlmodel =
    mlmodelBytes &&
    (await attempt(cannot(`${MLMODEL_FILE_NAME} is not valid`), () => parseMlmodel(new TextDecoder().decode(mlmodelBytes))));
  const format = mlmodel?.sklearn?.serializationFormat;
  if (format !== undefined && format !== 'cloudpickle' && format !== 'pickle') {
    throw new ModelLoadError(
      cannot(
        `its sklearn flavor is serialized as ${format}; log the model with serialization_format "cloudpickle" (MLflow's default) or "pickle"`,
      ),
    );
  }
  const pickleName = mlmodel?.sklearn?.pickledModel ?? DEFAULT_PICKLE_NAME;
  const pickle =
    pickleName === DEFAULT_PICKLE_NAME ? usualPickle : await attempt(cannot(`cannot read ${pickleName}`), () => read(pickleName));
  const json = () => attempt(cannot(`cannot read ${MODEL_FILE_NAME}`), () => read(MODEL_FILE_NAME));

  if (pickle === undefined) {
    const bytes = await json();
    if (bytes === undefined) {
      const flavors = mlmodel ? ` (its MLmodel's flavors: ${mlmodel.flavors.join(', ') || 'none'})` : '';
      throw new ModelLoadError(
        `no model at ${where}${flavors}: expected MLflow's ${pickleName} of the sklearn flavor, or a ${MODEL_FILE_NAME} (is the run id or location right?)`,
      );
    }
    const document = await attempt(cannot(`malformed ${MODEL_FILE_NAME}`), () => parseJsonModel(bytes));
    return { document, where, file: MODEL_FILE_NAME, format: 'json', mlmodel };
  }
  try {
    return {
      document: readPickledModel(pickle),
      where,
      file: pickleName,
      format: 'pickle',
      mlmodel,
      note: `${pickleName} served; the pickle wins, so a ${MODEL_FILE_NAME} beside it would be read only if the pickle could not be`,
    };
  } catch (error) {
    if (!(error instanceof ModelFormatError)) throw error;
    const refusal = `cannot serve ${pickleName} at ${where}: ${error.message}`;
    // The one case for model.json beside a pickle: the pickle cannot be read here, and model.json is its export.
    const bytes = await json();
    if (bytes === undefined) throw new ModelLoadError(refusal, { cause: error });
    const document = await attempt(cannot(`malformed ${MODEL_FILE_NAME}`), () => parseJsonModel(bytes));
    const recorded = document.producer?.source_sha256;
    const actual = sha256(pickle);
    if (recorded !== actual) {
      throw new ModelLoadError(
        `${refusal}; the ${MODEL_FILE_NAME} beside it is not its export (it records sha256 ${recorded ?? 'none'}, ${pickleName} has ${actual}): ` +
          're-export it with tools/export_model.py',
        { cause: error },
      );
    }
    return {
      document,
      where,
      file: MODEL_FILE_NAME,
      format: 'json',
      mlmodel,
      note: `${MODEL_FILE_NAME} served: it is the export of ${pickleName} (sha256 ${actual}), which this runtime cannot read (${error.message})`,
    };
  }
}

/** Loads, checks and compiles the model a source holds; every failure is a ModelLoadError that says where. */
export async function loadModel(source: ModelSource): Promise<LoadedModel> {
  const loaded: Loaded =
    source.kind === 'file'
      ? { ...(await attempt(`cannot serve ${source.where}`, () => readModelFile(source.bytes))), where: source.where, file: source.name }
      : await loadDirectory(source);
  const { document, ...rest } = loaded;
  const path = source.kind === 'file' ? source.where : `${source.where.replace(/\/$/, '')}/${loaded.file}`;
  return { ...rest, path, model: await attempt(`cannot build the model from ${source.where}`, () => buildModel(document)) };
}

/** Opens a location and loads the model there (see openModelSource for what a location may be). */
export async function loadModelAt(location: ModelLocation, s3: () => S3Client = noS3(location)): Promise<LoadedModel> {
  const source = await attempt(`cannot load the model from ${describeLocation(location)}`, () => openModelSource(location, s3));
  return loadModel(source);
}

const noS3 = (location: ModelLocation) => (): S3Client => {
  throw new Error(`no S3 client for ${describeLocation(location)}`);
};
