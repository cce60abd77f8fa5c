/*
 * The runtime's calls for the coverage test, in one place: serving a coverage case as the
 * function starts (MODEL_LOCATION, or RUN_ID from an MLflow artifact store on S3) and predicting
 * its rides. When the runtime's API moves, this file follows it and the test stays as it is.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { type ModelSettings, parseConfig } from '../../lambda/src/config';
import { ModelLoadError } from '../../lambda/src/model/load-model';
import type { Ride } from '../../lambda/src/rides/ride';
import { loadServedModel, type ServedModel } from '../../lambda/src/served-model';
import type { CoverageCase } from './coverage-fixtures';

/** What became of one ride: its prediction, or the reason the model refuses it. */
export type RideOutcome = { prediction: number } | { refused: string };

const noS3 = (): S3Client => {
  throw new Error('a local model needs no S3 client');
};

/** The function's start-up with MODEL_LOCATION set to the case's location (and RUN_ID to its run id or label, if it has one). */
export function serveCase(caseDir: string, spec: CoverageCase): Promise<ServedModel> {
  const settings: ModelSettings = {
    location: { kind: 'local', path: join(caseDir, spec.location) },
    runId: spec.run_id,
    locatedByRunId: false,
  };
  return loadServedModel(settings, noS3);
}

/** Puts every file under a folder into a bucket, keeping the relative paths as keys: an artifact store as MLflow fills it. */
export async function uploadTree(s3: S3Client, folder: string, bucket: string): Promise<void> {
  const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(folder, path)).isFile());
  for (const path of files) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: path.split(/[\\/]/).join('/'), Body: readFileSync(join(folder, path)) }));
  }
}

/**
 * The function's start-up by RUN_ID, MODEL_BUCKET and MLFLOW_EXPERIMENT_ID, with the model's
 * artifact path the case gives (the course logs its booster to `models_mlflow`, not `model`):
 * the settings parseConfig makes of them. The bucket must hold the case's artifact/ (uploadTree).
 */
export function serveCaseByRunId(spec: CoverageCase, bucket: string, s3: S3Client): Promise<ServedModel> {
  const { run_id: runId, artifact_path: artifactPath, experiment_id: experiment = '1' } = spec;
  if (runId === undefined || artifactPath === undefined) throw new Error(`${spec.name} has no run id and artifact path to be served by`);
  const { model } = parseConfig({
    TEST_RUN: 'true',
    RUN_ID: runId,
    MODEL_BUCKET: bucket,
    MLFLOW_EXPERIMENT_ID: experiment,
    MODEL_ARTIFACT_PATH: artifactPath,
  });
  return loadServedModel(model, () => s3);
}

/** Predicts the rides, as the handler does: one outcome per ride, in order. */
export function predictRides(served: ServedModel, rides: readonly Ride[]): RideOutcome[] {
  const { values, refusals } = served.model.predictBatch(rides);
  return Array.from(values, (prediction, i) => {
    const refused = refusals.get(i);
    return refused === undefined ? { prediction } : { refused };
  });
}

/** The message of the refusal a start-up ends in; fails when the model is served. */
export async function refusalOf(starting: Promise<unknown>): Promise<string> {
  const error = await starting.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the model was served, not refused').toBeInstanceOf(ModelLoadError);
  return (error as Error).message;
}
