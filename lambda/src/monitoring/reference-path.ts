/*
 * Where a model's reference profile is by default: pure (no imports), so that the CDK stack
 * (which grants reading it) and the function agree without the stack loading the function's code.
 */

/** The profile's path under a run's artifacts, beside `model/`. */
export const REFERENCE_PATH = 'reference/profile.json';

/**
 * `reference/profile.json` beside a directory named `model` (MLflow's `<run>/artifacts/model/`),
 * or undefined for a model elsewhere.
 *
 * @example
 * ```typescript
 * referencePathBeside('1/e1ef.../artifacts/model/'); // '1/e1ef.../artifacts/reference/profile.json'
 * referencePathBeside('4/models/m-1/artifacts/'); // undefined
 * ```
 */
export function referencePathBeside(modelPath: string): string | undefined {
  const path = modelPath.replace(/\/+$/, '');
  const at = path.lastIndexOf('/');
  return path.slice(at + 1) === 'model' ? `${path.slice(0, at + 1)}${REFERENCE_PATH}` : undefined;
}

/** The profile's location beside a model's location (a ModelLocation, local or in S3), or undefined. */
export function referenceBeside<Location extends { path: string }>(model: Location): Location | undefined {
  const path = referencePathBeside(model.path);
  return path === undefined ? undefined : { ...model, path };
}
