import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DEMO_RUN_ID } from '../models/demo-model';

/** Everything a deployment can choose, read from CDK context (`cdk deploy -c key=value`). */
export interface StackSettings {
  /** Names every resource, so that one app deploys side by side as stg, prod, ... */
  stage: string;
  model: {
    /** An existing MLflow artifacts bucket; absent: the stack makes one, seeded with the demo model. */
    bucketName?: string;
    experimentId: string;
    runId: string;
  };
  packaging: 'image' | 'zip';
  architecture: 'arm64' | 'x86_64';
  memorySize: number;
  timeoutSeconds: number;
  reservedConcurrency?: number;
  logRetention: RetentionDays;
  streams: {
    /** Shards, or 'on-demand'. */
    inputCapacity: number | 'on-demand';
    outputCapacity: number | 'on-demand';
    retentionHours: number;
  };
  eventSource: {
    batchSize: number;
    batchingWindowSeconds: number;
    parallelizationFactor: number;
    startingPosition: 'TRIM_HORIZON' | 'LATEST';
    retryAttempts: number;
    maxRecordAgeSeconds: number;
  };
  alarmEmail?: string;
}

/** The context keys, their defaults, and what they mean (also in the README). */
export const DEFAULTS = {
  stage: 'dev',
  experimentId: '1',
  packaging: 'image',
  architecture: 'arm64',
  memorySize: 512,
  timeoutSeconds: 60,
  logRetentionDays: 30,
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

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Reads and checks the context; every problem names its context key. */
export function readStackSettings(node: Node): StackSettings {
  const problems: string[] = [];
  const raw = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const text = (key: string, fallback: string, pattern = /^[A-Za-z0-9_-]+$/): string => {
    const value = raw(key) ?? fallback;
    if (!pattern.test(value)) problems.push(`context ${key}: ${JSON.stringify(value)} does not match ${pattern}`);
    return value;
  };
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const value = raw(key) === undefined ? fallback : Number(raw(key));
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`context ${key}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw(key))}`);
    }
    return value;
  };
  const choice = <T extends string>(key: string, fallback: T, choices: readonly T[]): T => {
    const value = (raw(key) ?? fallback) as T;
    if (!choices.includes(value)) problems.push(`context ${key}: expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    return value;
  };
  const capacity = (key: string, fallback: number): number | 'on-demand' =>
    raw(key) === 'on-demand' ? 'on-demand' : integer(key, fallback, 1, 500);

  const bucketName = raw('modelBucket');
  // A new bucket starts out for the demo model; an existing one needs the run to serve.
  if (bucketName !== undefined && raw('runId') === undefined) {
    problems.push('context runId: required with modelBucket (the MLflow run whose model is served)');
  }
  const runId = text('runId', DEMO_RUN_ID);
  const logRetentionDays = integer('logRetentionDays', DEFAULTS.logRetentionDays, 1, 3653);
  if (!Object.values(RetentionDays).includes(logRetentionDays)) {
    problems.push(`context logRetentionDays: ${logRetentionDays} is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...)`);
  }
  const alarmEmail = raw('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) problems.push(`context alarmEmail: not an email address`);
  const reservedConcurrency = raw('reservedConcurrency') === undefined ? undefined : integer('reservedConcurrency', 0, 1, 10_000);

  const settings: StackSettings = {
    stage: text('stage', DEFAULTS.stage, /^[a-z][a-z0-9-]{0,19}$/),
    model: {
      bucketName: bucketName === undefined ? undefined : text('modelBucket', bucketName, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
      experimentId: text('experimentId', DEFAULTS.experimentId),
      runId,
    },
    packaging: choice('packaging', DEFAULTS.packaging, ['image', 'zip'] as const),
    architecture: choice('architecture', DEFAULTS.architecture, ['arm64', 'x86_64'] as const),
    memorySize: integer('memorySize', DEFAULTS.memorySize, 128, 10_240),
    timeoutSeconds: integer('timeoutSeconds', DEFAULTS.timeoutSeconds, 1, 900),
    reservedConcurrency,
    logRetention: logRetentionDays as RetentionDays,
    streams: {
      inputCapacity: capacity('inputCapacity', DEFAULTS.inputCapacity),
      outputCapacity: capacity('outputCapacity', DEFAULTS.outputCapacity),
      retentionHours: integer('retentionHours', DEFAULTS.retentionHours, 24, 8760),
    },
    eventSource: {
      batchSize: integer('batchSize', DEFAULTS.batchSize, 1, 10_000),
      batchingWindowSeconds: integer('batchingWindowSeconds', DEFAULTS.batchingWindowSeconds, 0, 300),
      parallelizationFactor: integer('parallelizationFactor', DEFAULTS.parallelizationFactor, 1, 10),
      startingPosition: choice('startingPosition', DEFAULTS.startingPosition, ['TRIM_HORIZON', 'LATEST'] as const),
      retryAttempts: integer('retryAttempts', DEFAULTS.retryAttempts, 0, 10_000),
      maxRecordAgeSeconds: integer('maxRecordAgeSeconds', DEFAULTS.maxRecordAgeSeconds, 60, 604_800),
    },
    alarmEmail,
  };
  if (settings.eventSource.maxRecordAgeSeconds > settings.streams.retentionHours * 3600) {
    problems.push('context maxRecordAgeSeconds: longer than the streams\' retention (retentionHours), so records would expire first');
  }
  if (problems.length > 0) throw new SettingsError(`invalid context: ${problems.join('; ')}`);
  return settings;
}
