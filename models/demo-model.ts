/**
 * The bundled demo model (made by tools/train_demo_model.py) with its reference profile (made
 * by npm run profile), laid out as an MLflow run's artifacts: `model/` (MLmodel, model.pkl)
 * and `reference/profile.json`. Its run id is read from its own MLmodel file, so the trainer
 * is the one place that sets it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The run's artifacts directory: what `aws s3 cp --recursive` puts at `<experiment>/<run>/artifacts/`. */
export const DEMO_ARTIFACTS_DIR = fileURLToPath(new URL('./demo', import.meta.url));
/** The MLflow model directory, `artifacts/model/`. */
export const DEMO_MODEL_DIR = join(DEMO_ARTIFACTS_DIR, 'model');
/** The reference profile beside it, `artifacts/reference/profile.json`. */
export const DEMO_REFERENCE_PROFILE = join(DEMO_ARTIFACTS_DIR, 'reference', 'profile.json');

function runIdOf(mlmodelPath: string): string {
  const runId = /^run_id:\s*(\S+)\s*$/m.exec(readFileSync(mlmodelPath, 'utf8'))?.[1];
  if (runId === undefined) throw new Error(`${mlmodelPath}: no run_id`);
  return runId;
}

/** The MLflow run the demo model was logged as: what its predictions carry as `version`. */
export const DEMO_RUN_ID = runIdOf(join(DEMO_MODEL_DIR, 'MLmodel'));
