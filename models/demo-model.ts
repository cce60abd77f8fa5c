/**
 * The bundled demo model (made by tools/train_demo_model.py), in the MLflow layout. Its run id
 * is read from its own MLmodel file, so the trainer is the one place that sets it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO_MODEL_DIR = fileURLToPath(new URL('./demo', import.meta.url));

function runIdOf(mlmodelPath: string): string {
  const runId = /^run_id:\s*(\S+)\s*$/m.exec(readFileSync(mlmodelPath, 'utf8'))?.[1];
  if (runId === undefined) throw new Error(`${mlmodelPath}: no run_id`);
  return runId;
}

/** The MLflow run the demo model was logged as: what its predictions carry as `version`. */
export const DEMO_RUN_ID = runIdOf(join(DEMO_MODEL_DIR, 'MLmodel'));
