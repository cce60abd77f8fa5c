import { DEFAULT_ARTIFACT_PATH, DEFAULT_EXPERIMENT_ID, DEFAULT_TIMEOUT_SECONDS } from '../lambda/src/names';

/*
 * The stack's defaults, one home for them. No CDK import, so that the local stand-ins
 * (local/event-source-mapping.ts) can use the very same numbers without loading the CDK.
 */

/** The context keys' values when none is given (the README's context table says what each means). */
export const DEFAULTS = {
  stage: 'dev',
  experimentId: DEFAULT_EXPERIMENT_ID,
  modelArtifactPath: DEFAULT_ARTIFACT_PATH,
  packaging: 'image',
  architecture: 'arm64',
  memorySize: 512,
  timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  logRetentionDays: 30,
  // Off: the handler is not instrumented (no X-Ray SDK or Powertools Tracer), so a trace holds
  // only Lambda's own invoke segment, which the Duration and IteratorAge metrics already show.
  tracing: 'off',
  inputCapacity: 1,
  outputCapacity: 1,
  retentionHours: 24,
  batchSize: 500,
  batchingWindowSeconds: 1,
  parallelizationFactor: 1,
  startingPosition: 'TRIM_HORIZON',
  retryAttempts: 10,
  // Below the streams' 24 h retention, so a batch given up on can still be re-read.
  maxRecordAgeSeconds: 6 * 3600,
} as const;
