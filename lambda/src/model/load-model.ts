import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { MODEL_FILE_NAME, ModelFormatError, parseModelDocument } from './format';
import { parseMlmodel, type MlflowModelInfo } from './mlmodel';
import { buildModel, type PipelineModel } from './pipeline';

/** Where an MLflow model directory lives: an S3 prefix or a local directory. */
export type ModelLocation =
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'local'; directory: string };

export function describeLocation(location: ModelLocation): string {
  return location.kind === 's3' ? `s3://${location.bucket}/${location.prefix}` : location.directory;
}

/** The model could not be loaded; the message names the location and what is wrong. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** MLflow's own pickle, which the runtime cannot read but the exporter can convert. */
const MLFLOW_PICKLE = 'model.pkl';
/** MLflow's description of the model: run, flavors, signature. */
const MLMODEL = 'MLmodel';

/** Reads one file of the model directory; undefined when it does not exist. */
export type ReadModelFile = (name: string) => Promise<string | undefined>;

function localReader(directory: string): ReadModelFile {
  return async (name) => {
    try {
      return await readFile(join(directory, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
}

function s3Reader(s3: S3Client, bucket: string, prefix: string): ReadModelFile {
  return async (name) => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + name }));
      return await object.Body!.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  };
}

/** Reads files of the model directory, wherever it is; undefined for a file that is not there. */
export function readerFor(location: ModelLocation, s3: () => S3Client): ReadModelFile {
  return location.kind === 's3' ? s3Reader(s3(), location.bucket, location.prefix) : localReader(location.directory);
}

/** Runs one step of loading; any failure becomes a ModelLoadError naming the location. */
function attemptAt(location: ModelLocation) {
  return async <T>(what: string, step: () => Promise<T> | T): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      const reason = error instanceof ModelFormatError ? `malformed ${MODEL_FILE_NAME}: ${error.message}` : `${what}: ${(error as Error).message}`;
      throw new ModelLoadError(`cannot load the model from ${describeLocation(location)}: ${reason}`, { cause: error });
    }
  };
}

/** MLflow's MLmodel file of the model directory, read when there is one. */
export async function loadModelInfo(location: ModelLocation, s3: () => S3Client): Promise<MlflowModelInfo | undefined> {
  const attempt = attemptAt(location);
  const text = await attempt(`cannot read ${MLMODEL}`, () => readerFor(location, s3)(MLMODEL));
  return text === undefined ? undefined : attempt(`${MLMODEL} is not valid`, () => parseMlmodel(text));
}

/** Loads, checks and compiles the model; every failure is a ModelLoadError that says where. */
export async function loadModel(location: ModelLocation, s3: () => S3Client): Promise<PipelineModel> {
  const where = describeLocation(location);
  const read = readerFor(location, s3);
  const attempt = attemptAt(location);

  const text = await attempt(`cannot read ${MODEL_FILE_NAME}`, () => read(MODEL_FILE_NAME));
  if (text === undefined) {
    const hasPickle = (await attempt(`cannot read ${MLFLOW_PICKLE}`, () => read(MLFLOW_PICKLE))) !== undefined;
    throw new ModelLoadError(
      hasPickle
        ? `the model at ${where} holds only MLflow's ${MLFLOW_PICKLE}; export it where it was trained with ` +
            `\`python3 tools/export_model.py <model dir>\` and upload the ${MODEL_FILE_NAME} it writes next to ${MLFLOW_PICKLE}`
        : `no ${MODEL_FILE_NAME} at ${where} (is RUN_ID right, and was the model exported with tools/export_model.py?)`,
    );
  }
  const document = await attempt(`${MODEL_FILE_NAME} is not valid JSON`, () => JSON.parse(text) as unknown);
  return attempt('cannot build the model', () => buildModel(parseModelDocument(document)));
}
