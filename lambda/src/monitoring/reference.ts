/**
 * Where the reference profile is, and reading it at start. It travels with the model:
 * `reference/profile.json` beside MLflow's `model/` directory in the run's artifacts, or
 * wherever REFERENCE_LOCATION says. A profile that is not there turns drift off (said once
 * at start); one that REFERENCE_LOCATION names must be there, and any profile found must be
 * valid and be of the served model.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeLocation, type ModelLocation, openModelSource } from '../model/model-source';
import type { LoadedReference } from './monitor';
import { ProfileError, parseProfile } from './profile';

export { REFERENCE_PATH, referenceBeside } from './reference-path';

/** Where to look: a location, and whether its absence is an error (REFERENCE_LOCATION) or drift off (the default place). */
export interface ReferenceSetting {
  location: ModelLocation;
  required: boolean;
}

export type ReferenceLoad = { on: true; reference: LoadedReference } | { on: false; reason: string };

/** Reads and checks the profile; throws ProfileError (naming the location) for a profile that cannot be used. */
export async function loadReference(setting: ReferenceSetting | undefined, s3: () => S3Client): Promise<ReferenceLoad> {
  if (setting === undefined)
    return { on: false, reason: 'REFERENCE_LOCATION is none, or the model is not in a model/ directory with a reference/ beside it' };
  const where = describeLocation(setting.location);
  const cannot = (why: string, cause?: unknown) => new ProfileError(`cannot use the reference profile at ${where}: ${why}`, { cause });
  let bytes: Uint8Array | undefined;
  try {
    const source = await openModelSource(setting.location, s3);
    bytes = source.kind === 'file' ? source.bytes : undefined;
  } catch (error) {
    throw cannot(`cannot read it (${(error as Error).message})`, error);
  }
  if (bytes === undefined) {
    if (setting.required) throw cannot('there is no such file (REFERENCE_LOCATION names it)');
    return { on: false, reason: `no reference profile at ${where}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw cannot(`not valid JSON (${(error as Error).message})`, error);
  }
  let profile: ReturnType<typeof parseProfile>;
  try {
    profile = parseProfile(json);
  } catch (error) {
    throw cannot((error as Error).message, error);
  }
  return { on: true, reference: { profile, where, sha256: createHash('sha256').update(bytes).digest('hex') } };
}
