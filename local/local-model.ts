/**
 * The model a local stack serves: the bundled demo, or your own (a local MLflow model
 * directory, a model file, or an S3 URI), put into the local S3 the way it is deployed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DEFAULT_ARTIFACT_PATH,
  isArtifactPath,
  MLMODEL_FILE_NAME,
  mlflowArtifactsPath,
  mlflowModelPath,
  openModelSource,
  parseMlmodel,
  parseS3Uri,
} from '../lambda/src';
import { REFERENCE_PATH } from '../lambda/src/monitoring';
import { uploadDirectory } from './buckets';

export interface LocalModel {
  /** A local MLflow model directory or model file (a pickle, a model.json). */
  path: string;
  /** The label of its predictions (RUN_ID); without it, the run id in its MLmodel. */
  runId?: string;
}

/** The function's model settings for a model put into the local S3. */
export type ModelEnvironment = Record<
  'RUN_ID' | 'MODEL_BUCKET' | 'MLFLOW_EXPERIMENT_ID' | 'MODEL_ARTIFACT_PATH' | 'MODEL_LOCATION',
  string | undefined
>;

async function mlflowRunId(directory: string): Promise<string | undefined> {
  try {
    return (await parseMlmodel(readFileSync(join(directory, MLMODEL_FILE_NAME), 'utf8'))).runId;
  } catch {
    return undefined; // no MLmodel (or an unreadable one, which the function reports when it starts)
  }
}

/**
 * Uploads the model to the local S3 bucket and returns the function's settings for it. A
 * directory with an MLflow run id and no other label goes where MLflow puts it
 * ({experiment}/{run}/artifacts/model/; a model in a run's artifacts on disk,
 * .../artifacts/models_mlflow/, comes with the rest of those artifacts, under the artifact path
 * it has) and is served by RUN_ID (and MODEL_ARTIFACT_PATH), as a deployed stack serves it; anything else is served by MODEL_LOCATION, labelled with `runId`.
 */
export async function placeModel(s3: S3Client, bucket: string, experimentId: string, model: LocalModel): Promise<ModelEnvironment> {
  const isDirectory = statSync(model.path).isDirectory();
  const runId = isDirectory ? await mlflowRunId(model.path) : undefined;
  // A run's reference profile travels with its model: reference/ beside the model, in the bucket as on disk.
  const reference = join(dirname(model.path), REFERENCE_PATH);
  const putReference = async (artifacts: string) => {
    if (existsSync(reference))
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${artifacts}${REFERENCE_PATH}`, Body: readFileSync(reference) }));
  };
  if (isDirectory && runId !== undefined && model.runId === undefined) {
    // In a run's layout on disk (.../artifacts/models_mlflow), the artifact path it was logged with; else MLflow's default.
    const name = basename(model.path);
    const inRun = basename(dirname(model.path)) === 'artifacts' && isArtifactPath(name);
    const artifactPath = inRun ? name : DEFAULT_ARTIFACT_PATH;
    if (inRun) {
      // The run's artifacts, all of them: a vectorizer logged apart (preprocessor/) and reference/ come along.
      await uploadDirectory(s3, dirname(model.path), bucket, mlflowArtifactsPath(experimentId, runId));
    } else {
      await uploadDirectory(s3, model.path, bucket, mlflowModelPath(experimentId, runId));
      if (name === DEFAULT_ARTIFACT_PATH) await putReference(mlflowArtifactsPath(experimentId, runId));
    }
    return {
      RUN_ID: runId,
      MODEL_BUCKET: bucket,
      MLFLOW_EXPERIMENT_ID: experimentId,
      MODEL_ARTIFACT_PATH: artifactPath === DEFAULT_ARTIFACT_PATH ? undefined : artifactPath,
      MODEL_LOCATION: undefined,
    };
  }
  const key = `local-models/${basename(model.path)}`;
  if (isDirectory) await uploadDirectory(s3, model.path, bucket, `${key}/`);
  else await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(model.path) }));
  // The function looks beside a directory named model/ only (docs/monitoring.md).
  if (isDirectory && basename(model.path) === DEFAULT_ARTIFACT_PATH) await putReference('local-models/');
  return {
    RUN_ID: model.runId,
    MODEL_BUCKET: undefined,
    MLFLOW_EXPERIMENT_ID: undefined,
    MODEL_ARTIFACT_PATH: undefined,
    MODEL_LOCATION: `s3://${bucket}/${key}${isDirectory ? '/' : ''}`,
  };
}

/**
 * Copies a model from S3 (with your usual AWS credentials and region) into a temporary local
 * path: the file an S3 key names, or every file of a model directory and its subdirectories
 * (an MLflow model, or a run's artifacts whose files make one model together).
 */
export async function downloadModel(uri: string): Promise<string> {
  const parsed = parseS3Uri(uri);
  if (parsed === undefined) throw new Error(`expected s3://<bucket>/<key or prefix>, got ${JSON.stringify(uri)}`);
  const location = { kind: 's3', bucket: parsed.bucket, path: parsed.key } as const;
  const source = await openModelSource(location, () => new S3Client({ followRegionRedirects: true }));
  const directory = mkdtempSync(join(tmpdir(), 'ride-model-'));
  if (source.kind === 'file') {
    writeFileSync(join(directory, source.name), source.bytes);
    return join(directory, source.name);
  }
  const names = await source.list();
  for (const name of names) {
    const bytes = await source.read(name);
    if (bytes === undefined) continue;
    mkdirSync(dirname(join(directory, name)), { recursive: true });
    writeFileSync(join(directory, name), bytes);
  }
  if (names.length === 0) throw new Error(`no model at ${source.where}`);
  return directory;
}
