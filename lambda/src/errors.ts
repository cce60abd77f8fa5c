/**
 * The one base of the errors this project raises for a cause its user can fix: a setting of
 * the function (ConfigError) or of the stack (SettingsError), a model that cannot be loaded
 * (ModelLoadError) or is not the run it is said to be (ModelIdentityError), a model file
 * (ModelFormatError), a reference profile (ProfileError), an event that is not a Kinesis
 * stream event (EventShapeError). Each message names the cause;
 * anything else thrown is a bug. CDK-free: the function, the stack and local/ import it.
 *
 * @example
 * ```typescript
 * import { RideDurationError } from './errors';
 *
 * try {
 *   await startPredictionService(parseConfig(process.env));
 * } catch (error) {
 *   if (!(error instanceof RideDurationError)) throw error; // a bug: let it crash loudly
 *   console.error(error.message); // what to fix, e.g. "set RUN_ID: ..."
 * }
 * ```
 */
export class RideDurationError extends Error {
  override name = 'RideDurationError';
}
