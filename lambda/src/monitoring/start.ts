import type { RideModel } from '../model/ride-model';
import { logger } from '../telemetry';
import { monitoredFeaturesOf } from './features';
import { DriftMonitor, type DriftSettings } from './monitor';
import { ProfileError } from './profile';
import type { ReferenceLoad } from './reference';

/**
 * The drift monitor of a starting function, or undefined when there is no profile (said once,
 * in the start-up log). A profile of another run's model, or without one of the model's
 * features, fails the start: its comparisons would be with the wrong reference.
 */
export function startDriftMonitor(
  load: ReferenceLoad,
  served: { model: RideModel; mlflowRunId?: string },
  settings: DriftSettings,
): DriftMonitor | undefined {
  if (!load.on) {
    logger.info('drift monitoring off', { reason: load.reason });
    return undefined;
  }
  const { reference } = load;
  const cannot = (why: string) => new ProfileError(`cannot use the reference profile at ${reference.where}: ${why}`);
  const profiled = reference.profile.model.runId;
  if (profiled !== undefined && served.mlflowRunId !== undefined && profiled !== served.mlflowRunId) {
    throw cannot(
      `it profiles run ${profiled}'s model, and run ${served.mlflowRunId}'s is served: make it with the served model (npm run profile)`,
    );
  }
  const features = monitoredFeaturesOf(served.model);
  let monitor: DriftMonitor;
  try {
    monitor = new DriftMonitor({ reference, features, settings });
  } catch (error) {
    throw error instanceof ProfileError ? cannot(error.message) : error;
  }
  logger.info('drift monitoring on', {
    reference: reference.where,
    sha256: reference.sha256,
    profiledRun: profiled,
    features: features.map((f) => `${f.name} (${f.kind})`),
    ...settings,
  });
  return monitor;
}
