/**
 * The start-up of the model a function serves, in one place for the Lambda and for
 * `npm run model-check`: load it, check that it is the run it is said to be, and check that
 * it fits the features the handler prepares. Any doubt fails the start with a message that
 * names the cause: a model that might predict wrong, or under another run's name, is never
 * served.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ModelSettings } from './config';
import { RideDurationError } from './errors';
import { type LoadedModel, loadModelAt, ModelLoadError } from './model/load-model';
import { describeLocation } from './model/model-source';
import type { RideModel } from './model/ride-model';
import { describeRecipes, isFeatureName } from './rides/schema';

/**
 * The model found is not the run it is said to be, or has no run to label its predictions
 * with: serving it would put another run's name on them.
 */
export class ModelIdentityError extends RideDurationError {
  override name = 'ModelIdentityError';
}

export interface ServedModel extends LoadedModel {
  model: RideModel;
  /**
   * The run the predictions are labelled with (every output event's "version"): RUN_ID, or
   * MLmodel's run_id when RUN_ID is not set. Undefined only when neither exists and the
   * caller allowed that (a model check).
   */
  version?: string;
  /** RUN_ID, as configured. */
  runId?: string;
}

export interface ServeOptions {
  /** Fail when the model has no run id to label predictions with (the function); a check can go on without one. */
  requireVersion?: boolean;
}

/**
 * Why the model's MLflow signature contradicts the inputs it was found to use, or undefined
 * when it does not: a signature names the columns the model was trained on, and every one the
 * model reads must be among them, every one of them a feature the handler can prepare.
 */
export function signatureMismatch(signatureInputs: readonly string[], model: RideModel): string | undefined {
  const foreign = signatureInputs.filter((name) => !isFeatureName(name));
  if (foreign.length > 0) {
    return `the model's signature names inputs the handler never prepares: ${foreign.join(', ')}; the handler prepares ${describeRecipes()}`;
  }
  const unsigned = model.inputs.filter(({ name }) => !signatureInputs.includes(name)).map(({ name }) => name);
  if (unsigned.length > 0) {
    return `the model reads ${unsigned.join(', ')}, which its signature [${signatureInputs.join(', ')}] does not name: the MLmodel is not this model's`;
  }
  return undefined;
}

/** The run the model's predictions carry, after checking it against MLmodel where RUN_ID located it. */
function servedVersion(settings: ModelSettings, loaded: LoadedModel, requireVersion: boolean): string | undefined {
  const { runId, locatedByRunId } = settings;
  const mlflowRunId = loaded.mlmodel?.runId;
  if (locatedByRunId) {
    // RUN_ID built the path: what is there must be that run's model, not a copy of another's.
    if (mlflowRunId === undefined) {
      throw new ModelIdentityError(
        `cannot serve run ${runId}: ${loaded.location} has no MLmodel with a run_id, so it cannot be checked to be that run's model`,
      );
    }
    if (mlflowRunId !== runId) {
      throw new ModelIdentityError(
        `cannot serve run ${runId}: the MLmodel at ${loaded.location} is run ${mlflowRunId}'s (the artifacts were copied from another run); ` +
          'set RUN_ID to the run the model belongs to, or serve it with MODEL_LOCATION and RUN_ID as its label',
      );
    }
  }
  const version = runId ?? mlflowRunId;
  if (version === undefined && requireVersion) {
    throw new ModelIdentityError(
      `set RUN_ID: the model at ${loaded.location} has no MLflow run id (no MLmodel with a run_id) to label its predictions with`,
    );
  }
  return version;
}

/** Loads the configured model and checks it; throws ModelLoadError or ModelIdentityError with the cause. */
export async function loadServedModel(settings: ModelSettings, s3: () => S3Client): Promise<ServedModel & { version: string }>;
export async function loadServedModel(settings: ModelSettings, s3: () => S3Client, options: ServeOptions): Promise<ServedModel>;
export async function loadServedModel(settings: ModelSettings, s3: () => S3Client, options: ServeOptions = {}): Promise<ServedModel> {
  const loaded = await loadModelAt(settings.location, s3, { artifactsRoot: settings.artifactsRoot });
  const version = servedVersion(settings, loaded, options.requireVersion ?? true);
  const cannot = (why: string) => new ModelLoadError(`cannot serve the model from ${describeLocation(settings.location)}: ${why}`);
  const signature = loaded.mlmodel?.signatureInputs;
  const mismatch = signature && signatureMismatch(signature, loaded.model);
  if (mismatch) throw cannot(mismatch);
  return { ...loaded, version, runId: settings.runId };
}
