/**
 * Loads the model a location holds, as the user logged or saved it, and builds it:
 * - an MLflow model directory, by its MLmodel's flavor: sklearn's pickle (model.pkl);
 * - a directory of pickles that make one model together (`dv.pickle` beside `model.pickle`,
 *   an MLflow run's `models_mlflow/` beside `preprocessor/preprocessor.b`);
 * - a single file: a pickle or joblib file of a pipeline or of its parts, or a model.json.
 * Pickles are read natively by the allowlisting unpickler. A model.json made by
 * tools/export_model.py beside a pickle is served only where the pickle cannot be, and only
 * when it records that very pickle's sha256, so it is never served stale.
 */

import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { RideDurationError } from '../errors';
import { ModelFormatError } from './errors';
import { signatureOf } from './families';
import { lightgbmFlavorSpec } from './families/lightgbm';
import { xgboostFlavorSpec } from './families/xgboost';
import { MODEL_FILE_NAME } from './format';
import { combineParts, type ModelPart, type Role, roleOf } from './layouts';
import { withLoadBudget } from './limits';
import { type BoosterFlavor, type MlflowModelInfo, parseMlmodel } from './mlmodel';
import { type ModelFile, type ModelFileFormat, readModelFile } from './model-files';
import { describeLocation, type ModelLocation, type ModelSource, openModelSource } from './model-source';
import { unpickle } from './pickle/unpickle';
import { buildModel, type RideModel } from './ride-model';
import type { SpecBase } from './stage';

/** The model could not be loaded; the message names the location and what is wrong. */
export class ModelLoadError extends RideDurationError {
  override name = 'ModelLoadError';
}

/** MLflow's description of the model: run, flavors, signature. */
export const MLMODEL_FILE_NAME = 'MLmodel';
/** The sklearn flavor's pickle when MLmodel does not name another. */
export const DEFAULT_PICKLE_NAME = 'model.pkl';

/** The files of a directory that may hold a model or a part of one: pickles and joblib files (compressed or not), model.json. */
const MODEL_FILE = /(?:\.(?:pkl|pickle|p|b|bin|joblib|sav)(?:\.(?:z|gz|bz2|xz|lzma|lz4))?|(?:^|\/)model\.json)$/i;
/** More candidate files than this is no model directory: it is refused rather than read file by file. */
const MAX_MODEL_FILES = 16;

export interface LoadedModel {
  model: RideModel;
  /** The location it was loaded from: a directory, or the single file, as a path or S3 URI. */
  location: string;
  /** The file that predicts (the one with the regressor). */
  file: ServedFile;
  format: ModelFileFormat;
  /** MLflow's MLmodel of the model's directory, when there is one. */
  mlmodel?: MlflowModelInfo;
  /** Which file gave which part of the model, for the start-up log and model-check: `DictVectorizer from preprocessor/preprocessor.b`. */
  parts: readonly ServedPart[];
  /** Why a model.json beside the pickle was or was not served, for the start-up log. */
  note?: string;
}

/** A served file: its name within the location (a single file's own name) and its full path or S3 URI. */
export interface ServedFile {
  readonly name: string;
  readonly uri: string;
}

/** One part of the served model and the file it came from. */
export interface ServedPart {
  readonly estimator: string;
  readonly role: Role;
  /** The file's full path or S3 URI. */
  readonly uri: string;
  /** The key or index inside the file, when the part is one value of a pickled dict or sequence. */
  readonly key?: string | number;
  readonly format: ModelFileFormat;
  /** `DictVectorizer from preprocessor/preprocessor.b`. */
  readonly description: string;
}

/** Where else to look for what the model at the location lacks: an MLflow run's artifacts, around its model's artifact path. */
export interface LoadOptions {
  artifactsRoot?: ModelLocation;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A file's full path or S3 URI in a directory. */
const inside = (where: string, name: string) => `${where.replace(/\/$/, '')}/${name}`;

/** A file's parts, with the file's path and format, once the loader knows where it is. */
const located = (file: ModelFile, path: string): ModelPart[] => file.parts.map((part) => ({ ...part, path, format: file.format }));

/** Runs one step; any failure becomes a ModelLoadError that says where and what. */
async function attempt<T>(context: string, step: () => Promise<T> | T): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ModelLoadError) throw error;
    throw new ModelLoadError(`${context}: ${(error as Error).message}`, { cause: error });
  }
}

/** The files read and what they hold, before they are combined. */
interface Found {
  /** The main file: the flavor's, or the one whose part predicts. */
  file: string;
  format: ModelFileFormat;
  parts: ModelPart[];
  mlmodel?: MlflowModelInfo;
  sklearnVersion?: string;
  note?: string;
}

/** A file of a directory (`at` its `where`), or the single file a location names (`at` its whole path). */
const readFile = (bytes: Uint8Array, name: string, at: { where: string; single?: boolean }): Promise<ModelFile> =>
  attempt(at.single ? `cannot serve ${at.where}` : `cannot serve ${name} at ${at.where}`, () => readModelFile(bytes, name));

/** The directory's model.pkl when the caller has read it already (undefined bytes: it is not there); else it is read here. */
type UsualPickle = { readonly bytes: Uint8Array | undefined } | undefined;

/** MLmodel's sklearn flavor: its pickle, or the model.json exported from it when the pickle cannot be read here. */
async function sklearnFlavor(
  source: Directory,
  mlmodel: MlflowModelInfo | undefined,
  usualPickle: UsualPickle,
): Promise<Found | undefined> {
  const { where, read } = source;
  const cannot = (what: string) => `cannot load the model from ${where}: ${what}`;
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
    pickleName === DEFAULT_PICKLE_NAME && usualPickle !== undefined
      ? usualPickle.bytes
      : await attempt(cannot(`cannot read ${pickleName}`), () => read(pickleName));
  const json = () => attempt(cannot(`cannot read ${MODEL_FILE_NAME}`), () => read(MODEL_FILE_NAME));
  if (pickle === undefined) {
    const bytes = await json();
    if (bytes === undefined) return undefined;
    const file = await readFile(bytes, MODEL_FILE_NAME, { where });
    return { file: MODEL_FILE_NAME, ...file, parts: located(file, inside(where, MODEL_FILE_NAME)), mlmodel };
  }
  try {
    // MLflow loads it with pickle.load (or cloudpickle's, which reads the same), never joblib.load.
    const file = readModelFile(pickle, pickleName, { pickleOnly: true });
    return {
      file: pickleName,
      ...file,
      parts: located(file, inside(where, pickleName)),
      mlmodel,
      note: `${pickleName} served; the pickle wins, so a ${MODEL_FILE_NAME} beside it would be read only if the pickle could not be`,
    };
  } catch (error) {
    if (!(error instanceof ModelFormatError)) throw error;
    const refusal = `cannot serve ${pickleName} at ${where}: ${error.message}`;
    // The one case for model.json beside a pickle: the pickle cannot be read here, and model.json is its export.
    const bytes = await json();
    if (bytes === undefined) throw new ModelLoadError(refusal, { cause: error });
    const exported = await attempt(cannot(`malformed ${MODEL_FILE_NAME}`), () => readModelFile(bytes, MODEL_FILE_NAME));
    const recorded = exported.producer?.source_sha256;
    const actual = sha256(pickle);
    if (recorded !== actual) {
      throw new ModelLoadError(
        `${refusal}; the ${MODEL_FILE_NAME} beside it is not its export (it records sha256 ${recorded ?? 'none'}, ${pickleName} has ${actual}): ` +
          're-export it with tools/export_model.py',
        { cause: error },
      );
    }
    return {
      file: MODEL_FILE_NAME,
      ...exported,
      parts: located(exported, inside(where, MODEL_FILE_NAME)),
      mlmodel,
      note: `${MODEL_FILE_NAME} served: it is the export of ${pickleName} (sha256 ${actual}), which this runtime cannot read (${error.message})`,
    };
  }
}

type Directory = Extract<ModelSource, { kind: 'directory' }>;

/** An MLflow model directory, by its MLmodel's flavor; undefined when it holds no model file at all. */
async function mlflowDirectory(
  source: Directory,
  mlmodel: MlflowModelInfo | undefined,
  usualPickle?: UsualPickle,
): Promise<Found | undefined> {
  if (mlmodel === undefined || mlmodel.sklearn !== undefined || mlmodel.flavors.length === 0) {
    return sklearnFlavor(source, mlmodel, usualPickle);
  }
  const booster = mlmodel.xgboost ? ('xgboost' as const) : mlmodel.lightgbm ? ('lightgbm' as const) : undefined;
  if (booster !== undefined) return boosterFlavor(source, mlmodel, booster);
  const loader = mlmodel.loaderModule ? ` (python_function's loader_module: ${mlmodel.loaderModule})` : '';
  throw new ModelLoadError(
    `cannot load the model from ${source.where}: its MLmodel's flavors are ${mlmodel.flavors.join(', ')}${loader}, none of which this runtime reads ` +
      '(it reads the sklearn, xgboost and lightgbm flavors)',
  );
}

/** MLmodel's xgboost or lightgbm flavor (mlflow.xgboost / mlflow.lightgbm.log_model): its data file, read as its model_class predicts. */
async function boosterFlavor(source: Directory, mlmodel: MlflowModelInfo, kind: 'xgboost' | 'lightgbm'): Promise<Found | undefined> {
  const flavor = mlmodel[kind] as BoosterFlavor;
  const { where } = source;
  const bytes = await attempt(`cannot load the model from ${where}: cannot read ${flavor.data}`, () => source.read(flavor.data));
  if (bytes === undefined) return undefined;
  // One load budget for the file, as readModelFile gives every other file (limits.ts).
  const spec = await attempt(`cannot serve ${flavor.data} at ${where}`, () =>
    withLoadBudget(() =>
      kind === 'xgboost'
        ? xgboostFlavorSpec(
            { data: flavor.data, model_class: flavor.modelClass, model_format: flavor.modelFormat, xgb_version: flavor.version },
            bytes,
          )
        : lightgbmFlavorSpec({ data: flavor.data, model_class: flavor.modelClass, lgb_version: flavor.version }, bytes, unpickle),
    ),
  );
  return { file: flavor.data, format: kind, parts: [{ spec, from: flavor.data, path: inside(where, flavor.data), format: kind }], mlmodel };
}

/** Every candidate model file of a directory and its subdirectories, read: subdirectories with an MLmodel by their flavor. */
async function directoryFiles(source: Directory, skip: (name: string) => boolean): Promise<Found[]> {
  const { where, read } = source;
  const names = await attempt(`cannot list ${where}`, () => source.list());
  const models = [
    ...new Set(names.filter((n) => n.endsWith(`/${MLMODEL_FILE_NAME}`)).map((n) => n.slice(0, -MLMODEL_FILE_NAME.length - 1))),
  ];
  const loose = names.filter((n) => MODEL_FILE.test(n) && !skip(n) && !models.some((dir) => n.startsWith(`${dir}/`)));
  if (loose.length + models.length > MAX_MODEL_FILES) {
    throw new ModelLoadError(
      `cannot load the model from ${where}: ${loose.length + models.length} model files and directories, more than a model has (${MAX_MODEL_FILES})`,
    );
  }
  const found: Found[] = [];
  for (const dir of models.filter((d) => !skip(`${d}/${MLMODEL_FILE_NAME}`))) {
    const sub: Directory = {
      kind: 'directory',
      where: inside(where, dir),
      read: (name) => read(`${dir}/${name}`),
      list: async () => [],
    };
    const bytes = await attempt(`cannot read ${dir}/${MLMODEL_FILE_NAME} at ${where}`, () => read(`${dir}/${MLMODEL_FILE_NAME}`));
    const mlmodel =
      bytes &&
      (await attempt(`cannot load the model from ${sub.where}: ${MLMODEL_FILE_NAME} is not valid`, () =>
        parseMlmodel(new TextDecoder().decode(bytes)),
      ));
    const model = await mlflowDirectory(sub, mlmodel);
    if (model) found.push({ ...model, file: `${dir}/${model.file}`, parts: model.parts.map((p) => ({ ...p, from: `${dir}/${p.from}` })) });
  }
  const files = new Map<string, Uint8Array>();
  for (const name of loose) {
    const bytes = await attempt(`cannot read ${name} at ${where}`, () => read(name));
    if (bytes !== undefined) files.set(name, bytes);
  }
  const exports = exportsBeside(files);
  const exported = new Set(exports.values());
  for (const [name, bytes] of files) {
    if (exported.has(name)) continue; // read with the pickle it is the export of
    const json = exports.get(name);
    if (json === undefined) {
      const file = await readFile(bytes, name, { where });
      found.push({ file: name, ...file, parts: located(file, inside(where, name)) });
      continue;
    }
    // As in an MLflow directory: the pickle wins, and its export is served only where the pickle cannot be read here.
    try {
      const file = readModelFile(bytes, name);
      found.push({
        file: name,
        ...file,
        parts: located(file, inside(where, name)),
        note: `${name} served; ${json} beside it is its export`,
      });
    } catch (error) {
      if (!(error instanceof ModelFormatError)) throw error;
      const file = await readFile(files.get(json) as Uint8Array, json, { where });
      const note = `${json} served: it is the export of ${name}, which this runtime cannot read (${error.message})`;
      found.push({ file: json, ...file, parts: located(file, inside(where, json)), note });
    }
  }
  return found;
}

/**
 * The model.json files that are exports of a file beside them (tools/export_model.py records the
 * sha256 of the pickle it read), by that file's name. A model.json that is not one, or that
 * cannot be read, is read as a model file of its own.
 */
function exportsBeside(files: ReadonlyMap<string, Uint8Array>): Map<string, string> {
  const exports = new Map<string, string>();
  for (const [name, bytes] of files) {
    if (name !== MODEL_FILE_NAME && !name.endsWith(`/${MODEL_FILE_NAME}`)) continue;
    let recorded: string | undefined;
    try {
      recorded = readModelFile(bytes, name).producer?.source_sha256;
    } catch {
      continue;
    }
    const dir = name.slice(0, -MODEL_FILE_NAME.length);
    for (const [other, otherBytes] of files) {
      const beside = other !== name && other.startsWith(dir) && !other.slice(dir.length).includes('/');
      if (beside && recorded !== undefined && sha256(otherBytes) === recorded) exports.set(other, name);
    }
  }
  return exports;
}

/** Whether the parts lack a featurizer: a regressor alone, which a vectorizer beside it may complete. */
function lacksFeaturizer(found: Found): boolean {
  try {
    combineParts(found.parts, '');
    return false;
  } catch {
    return found.parts.length === 1;
  }
}

/** The directory's model: its MLmodel's flavor, or, without one, the model files it holds together. */
async function loadDirectory(source: Directory): Promise<Found> {
  const { where, read } = source;
  const cannot = (what: string) => `cannot load the model from ${where}: ${what}`;
  // MLmodel and the usual pickle at once: a cold start waits for one round trip, not two.
  const [mlmodelBytes, usualPickle] = await attempt(cannot('cannot read it'), () =>
    Promise.all([read(MLMODEL_FILE_NAME), read(DEFAULT_PICKLE_NAME)]),
  );
  const mlmodel =
    mlmodelBytes &&
    (await attempt(cannot(`${MLMODEL_FILE_NAME} is not valid`), () => parseMlmodel(new TextDecoder().decode(mlmodelBytes))));
  if (mlmodel !== undefined) {
    const found = await mlflowDirectory(source, mlmodel, { bytes: usualPickle });
    if (found) return found;
    const pickleName = mlmodel.sklearn?.pickledModel ?? DEFAULT_PICKLE_NAME;
    throw new ModelLoadError(
      `no model at ${where} (its MLmodel's flavors: ${mlmodel.flavors.join(', ') || 'none'}): expected MLflow's ${pickleName} of the sklearn flavor, or a ${MODEL_FILE_NAME} (is the run id or location right?)`,
    );
  }
  // No MLmodel: the model files here, together. Without a listing (a role that may not list), the usual files only.
  const files = await directoryFiles(source, () => false).catch(async (error) => {
    if (error instanceof ModelLoadError && !/cannot list/.test(error.message)) throw error;
    const usual = await sklearnFlavor(source, undefined, { bytes: usualPickle });
    return usual ? [usual] : [];
  });
  if (files.length === 0) {
    throw new ModelLoadError(
      `no model at ${where}: expected MLflow's MLmodel and ${DEFAULT_PICKLE_NAME}, a pickle or joblib file, or a ${MODEL_FILE_NAME} (is the run id or location right?)`,
    );
  }
  return merge(files);
}

/** Files read together: their parts, and the main file (the one whose part predicts). */
function merge(files: readonly Found[]): Found {
  if (files.length === 1) return files[0];
  const predicts = (f: Found) => f.parts.some((p) => signatureOf(p.spec).makes === 'predictions');
  const main = files.find((f) => f.mlmodel !== undefined) ?? files.find(predicts) ?? files[0];
  return { ...main, parts: files.flatMap((f) => f.parts), sklearnVersion: files.map((f) => f.sklearnVersion).find(Boolean) };
}

/** Loads, checks and builds the model a source holds; every failure is a ModelLoadError that says where. */
export async function loadModel(source: ModelSource, openAround?: () => Promise<ModelSource>): Promise<LoadedModel> {
  let found: Found;
  if (source.kind === 'file') {
    const file = await readFile(source.bytes, source.name, { where: source.where, single: true });
    found = { file: source.name, ...file, parts: located(file, source.where) };
  } else found = await loadDirectory(source);
  // A regressor without its vectorizer: the run's other artifacts may hold it (the course's preprocessor/preprocessor.b).
  const around = openAround && lacksFeaturizer(found) ? await openAround() : undefined;
  if (around?.kind === 'directory') {
    const prefix = source.where.startsWith(around.where) ? source.where.slice(around.where.length).replace(/^\/|\/$/g, '') : '';
    const others = await directoryFiles(around, (name) => prefix !== '' && name.startsWith(`${prefix}/`));
    found = merge([found, ...others.map((f) => ({ ...f, mlmodel: undefined }))]);
  }
  const combined = await attempt(`cannot serve the model from ${source.where}`, () => combineParts(found.parts, ''));
  const model = await attempt(`cannot build the model from ${source.where}`, () =>
    buildModel(combined.spec as SpecBase, found.sklearnVersion),
  );
  const uri = source.kind === 'file' ? source.where : inside(source.where, found.file);
  return {
    model,
    location: source.where,
    file: { name: found.file, uri },
    format: found.format,
    mlmodel: found.mlmodel,
    parts: combined.parts.map((p) => {
      const estimator = p.spec.estimator ?? p.spec.type;
      const uri = p.path ?? source.where;
      return {
        estimator,
        role: roleOf(p.spec),
        uri,
        key: p.key,
        format: p.format ?? found.format,
        description: `${estimator} from ${uri}${p.key === undefined ? '' : `[${JSON.stringify(p.key)}]`}`,
      };
    }),
    note: found.note,
  };
}

/** Opens a location and loads the model there (see openModelSource for what a location may be). */
export async function loadModelAt(
  location: ModelLocation,
  s3: () => S3Client = noS3(location),
  options: LoadOptions = {},
): Promise<LoadedModel> {
  const source = await attempt(`cannot load the model from ${describeLocation(location)}`, () => openModelSource(location, s3));
  const root = options.artifactsRoot;
  const around = root && (() => attempt(`cannot open the run's artifacts at ${describeLocation(root)}`, () => openModelSource(root, s3)));
  return loadModel(source, around);
}

const noS3 = (location: ModelLocation) => (): S3Client => {
  throw new Error(`no S3 client for ${describeLocation(location)}`);
};
