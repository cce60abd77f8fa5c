/**
 * Drift monitoring: the reference profile (its schema, parser and builder), the stream's
 * windows, PSI and Jensen-Shannon distance, and what a closed window emits.
 */

export { buildReferenceProfile, DEFAULT_BINS, DEFAULT_TOP_CATEGORIES, type ProfileInput } from './build-profile';
export { jensenShannonDistance, PSI_FLOOR, psi } from './distance';
export { type MonitoredFeature, monitoredFeaturesOf, PREDICTION } from './features';
export { categoricalProfile, numericBin, numericProfile } from './histogram';
export { type BatchObserver, DriftMonitor, type DriftSettings, type LoadedReference, type WindowReport } from './monitor';
export {
  type CategoricalProfile,
  type FeatureProfile,
  type NumericProfile,
  PROFILE_SCHEMA,
  ProfileError,
  parseProfile,
  type ReferenceProfile,
} from './profile';
export { loadReference, REFERENCE_PATH, type ReferenceLoad, type ReferenceSetting, referenceBeside } from './reference';
export { startDriftMonitor } from './start';
export type { FeatureDrift, WindowComparison } from './window';
