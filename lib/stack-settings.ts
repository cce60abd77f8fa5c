/**
 * What a deployment can choose, read from CDK context (`cdk deploy -c key=value`), checked
 * once, with every problem naming its context key. The README's context table documents them.
 */

import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { RideDurationError } from '../lambda/src/errors';
import { DRIFT_DEFAULTS } from '../lambda/src/names';
import { isBucketName, parseS3Uri } from '../lambda/src/s3-uri';
import { DEMO_RUN_ID } from '../models/demo-model';
import { DEFAULTS } from './stack-defaults';

/**
 * Where the served model is, as the stack's context chooses it (the function's own
 * ModelSettings, in lambda/src/config.ts, is what it parses from the variables the stack sets).
 * The function reads it with the layout that `kind` names; the stack grants read access to
 * exactly that place.
 */
export type StackModelSettings =
  | {
      /** MLflow's run layout, `s3://<bucket>/<experimentId>/<runId>/artifacts/<artifactPath>/`. */
      kind: 'mlflow-run';
      /** An existing MLflow artifacts bucket; absent: the stack makes a private one. */
      bucketName?: string;
      experimentId: string;
      /** Where in the run's artifacts the model was logged (log_model's artifact_path): `model`, or the course's `models_mlflow`. */
      artifactPath: string;
      runId: string;
      /** A customer-managed key the bucket is encrypted with (SSE-KMS). */
      kmsKeyArn?: string;
    }
  | {
      /** Any place in a bucket, given by `modelLocation=s3://bucket/key-or-prefix`. */
      kind: 'location';
      bucketName: string;
      /** The object key of a model file, or a prefix; `''` or ending in `/`: a prefix. */
      path: string;
      /** The version label of the predictions; absent: the function uses MLmodel's run_id. */
      runId?: string;
      kmsKeyArn?: string;
    };

export type Packaging = 'image' | 'zip';
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

/** Everything a deployment can choose. */
export interface StackSettings {
  /** Names the stack and every resource, so that one app deploys side by side as dev, stg, prod, ... */
  stage: string;
  model: StackModelSettings;
  packaging: Packaging;
  architecture: 'arm64' | 'x86_64';
  memorySize: number;
  timeoutSeconds: number;
  reservedConcurrency?: number;
  logRetention: RetentionDays;
  /** Lambda's active X-Ray tracing. */
  tracing: 'off' | 'active';
  /** What `cdk destroy` does with the streams, queues, log group and alarm key (the model and dead-letter buckets always stay). */
  removal: 'destroy' | 'retain';
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
    startingPosition: StartingPosition;
    retryAttempts: number;
    maxRecordAgeSeconds: number;
  };
  /** Where alarms go: an address subscribed to the stack's topic, or an existing topic. */
  alarms: { email?: string; topicArn?: string };
  /** The Drift alarms' thresholds: PSI for numeric features and the predictions, Jensen-Shannon distance for categories. */
  drift: { psiThreshold: number; jsThreshold: number };
  /**
   * The model's reference profile elsewhere than beside its model/ directory (REFERENCE_LOCATION),
   * or 'none' to turn drift off; absent: beside the model, where the function looks by itself.
   */
  reference?: { bucketName: string; key: string } | 'none';
  /** Every prediction kept: a Firehose delivery stream from the output stream to an S3 bucket. */
  archive: boolean;
}

/** The stage whose data outlives `cdk destroy` and whose stack cannot be deleted by accident. */
export const PRODUCTION_STAGE = 'prod';

export { DEFAULTS } from './stack-defaults';

/** Every context key of this app, as the README's context table lists them; the readers below take only these. */
export const CONTEXT_KEYS = [
  'stage',
  'modelBucket',
  'runId',
  'experimentId',
  'modelLocation',
  'modelArtifactPath',
  'modelBucketKeyArn',
  'referenceLocation',
  'packaging',
  'architecture',
  'memorySize',
  'timeoutSeconds',
  'reservedConcurrency',
  'logRetentionDays',
  'tracing',
  'inputCapacity',
  'outputCapacity',
  'retentionHours',
  'batchSize',
  'batchingWindowSeconds',
  'parallelizationFactor',
  'startingPosition',
  'retryAttempts',
  'maxRecordAgeSeconds',
  'alarmEmail',
  'alarmTopicArn',
  'removalPolicy',
  'driftPsiThreshold',
  'driftJsThreshold',
  'archive',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** A context value the app cannot deploy; the message names every key at fault. */
export class SettingsError extends RideDurationError {
  override name = 'SettingsError';
}

/**
 * One segment of a model's key. No `*`, `?` or `$`: in an IAM resource they are wildcards or
 * policy variables, and would widen the read grant beyond the model.
 */
const KEY_SEGMENT = /^[A-Za-z0-9!_.()=+,@:~-]+$/;
/** An artifact path inside a run: segments of letters, digits, `_.-`, never `.` or `..` alone (MODEL_ARTIFACT_PATH checks the same). */
const ARTIFACT_PATH = /^(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+)*$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
// CloudWatch alarm actions publish to standard topics only.
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** Reads and checks the context; every problem names its context key. */
export function readStackSettings(node: Node): StackSettings {
  const problems: string[] = [];
  const raw = (key: ContextKey): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const text = (key: ContextKey, fallback: string, pattern = /^[A-Za-z0-9_-]+$/): string => {
    const value = raw(key) ?? fallback;
    if (!pattern.test(value)) problems.push(`context ${key}: ${JSON.stringify(value)} does not match ${pattern}`);
    return value;
  };
  const integer = (key: ContextKey, fallback: number, min: number, max: number): number => {
    const value = raw(key) === undefined ? fallback : Number(raw(key));
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`context ${key}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw(key))}`);
    }
    return value;
  };
  const choice = <T extends string>(key: ContextKey, fallback: T, choices: readonly T[]): T => {
    const value = (raw(key) ?? fallback) as T;
    if (!choices.includes(value)) problems.push(`context ${key}: expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    return value;
  };
  const decimal = (key: ContextKey, fallback: number, min: number, max: number): number => {
    const value = raw(key) === undefined ? fallback : Number(raw(key));
    if (!Number.isFinite(value) || value <= min || value > max) {
      problems.push(`context ${key}: expected a number above ${min} and at most ${max}, got ${JSON.stringify(raw(key))}`);
    }
    return value;
  };
  const flag = (key: ContextKey, fallback: boolean): boolean =>
    choice(key, String(fallback) as 'true' | 'false', ['true', 'false'] as const) === 'true';
  const capacity = (key: ContextKey, fallback: number): number | 'on-demand' =>
    raw(key) === 'on-demand' ? 'on-demand' : integer(key, fallback, 1, 500);

  const stage = text('stage', DEFAULTS.stage, /^[a-z][a-z0-9-]{0,19}$/);
  const logRetentionDays = integer('logRetentionDays', DEFAULTS.logRetentionDays, 1, 3653);
  if (!Object.values(RetentionDays).includes(logRetentionDays)) {
    problems.push(`context logRetentionDays: ${logRetentionDays} is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...)`);
  }
  const reservedConcurrency = raw('reservedConcurrency') === undefined ? undefined : integer('reservedConcurrency', 0, 1, 10_000);

  const settings: StackSettings = {
    stage,
    model: readStackModelSettings(raw, text, problems),
    packaging: choice('packaging', DEFAULTS.packaging, ['image', 'zip'] as const),
    architecture: choice('architecture', DEFAULTS.architecture, ['arm64', 'x86_64'] as const),
    memorySize: integer('memorySize', DEFAULTS.memorySize, 128, 10_240),
    timeoutSeconds: integer('timeoutSeconds', DEFAULTS.timeoutSeconds, 1, 900),
    reservedConcurrency,
    logRetention: logRetentionDays as RetentionDays,
    tracing: choice('tracing', DEFAULTS.tracing, ['off', 'active'] as const),
    removal: choice('removalPolicy', stage === PRODUCTION_STAGE ? 'retain' : 'destroy', ['destroy', 'retain'] as const),
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
    alarms: readAlarmSettings(raw, problems),
    drift: {
      psiThreshold: decimal('driftPsiThreshold', DRIFT_DEFAULTS.psiThreshold, 0, 100),
      jsThreshold: decimal('driftJsThreshold', DRIFT_DEFAULTS.jsThreshold, 0, 1),
    },
    archive: flag('archive', stage === PRODUCTION_STAGE),
    reference: readReference(raw('referenceLocation'), problems),
  };
  if (settings.eventSource.maxRecordAgeSeconds > settings.streams.retentionHours * 3600) {
    problems.push("context maxRecordAgeSeconds: longer than the streams' retention (retentionHours), so records would expire first");
  }
  if (problems.length > 0) throw new SettingsError(`invalid context: ${problems.join('; ')}`);
  return settings;
}

type Raw = (key: ContextKey) => string | undefined;
type Text = (key: ContextKey, fallback: string, pattern?: RegExp) => string;

/** modelBucket + runId (+ experimentId), or modelLocation (+ runId), or neither: a new bucket for the demo run. */
function readStackModelSettings(raw: Raw, text: Text, problems: string[]): StackModelSettings {
  const kmsKeyArn = raw('modelBucketKeyArn');
  if (kmsKeyArn !== undefined && !KMS_KEY_ARN.test(kmsKeyArn)) {
    problems.push(
      `context modelBucketKeyArn: expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>, not an alias), got ${JSON.stringify(kmsKeyArn)}`,
    );
  }
  const runId = raw('runId') === undefined ? undefined : text('runId', '');
  const location = raw('modelLocation');
  if (location !== undefined) {
    for (const key of ['modelBucket', 'experimentId', 'modelArtifactPath'] as const) {
      if (raw(key) !== undefined) problems.push(`context ${key}: not with modelLocation, which names the model's bucket and path itself`);
    }
    const parsed = grantableLocation(location);
    if (typeof parsed === 'string') {
      problems.push(`context modelLocation: ${parsed}`);
      return { kind: 'location', bucketName: 'invalid', path: '', runId, kmsKeyArn };
    }
    return { kind: 'location', ...parsed, runId, kmsKeyArn };
  }
  const bucketName = raw('modelBucket');
  if (bucketName !== undefined && !isBucketName(bucketName)) {
    problems.push(`context modelBucket: ${JSON.stringify(bucketName)} is not an S3 bucket name (3 to 63 lowercase letters, digits, . -)`);
  }
  // A new bucket starts out for the demo model; an existing one needs the run to serve.
  if (bucketName !== undefined && runId === undefined) {
    problems.push('context runId: required with modelBucket (the MLflow run whose model is served)');
  }
  if (bucketName === undefined && kmsKeyArn !== undefined) {
    problems.push("context modelBucketKeyArn: only with modelBucket or modelLocation (the stack's own bucket is encrypted with S3's key)");
  }
  return {
    kind: 'mlflow-run',
    bucketName,
    experimentId: text('experimentId', DEFAULTS.experimentId),
    artifactPath: text('modelArtifactPath', DEFAULTS.modelArtifactPath, ARTIFACT_PATH),
    runId: runId ?? DEMO_RUN_ID,
    kmsKeyArn,
  };
}

/**
 * `s3://bucket/key-or-prefix` (parseS3Uri, the function's rule too) into its bucket and path,
 * or why the stack cannot grant reading exactly there.
 */
function grantableLocation(uri: string): { bucketName: string; path: string } | string {
  const expected = 'expected s3://<bucket>/<prefix>/ or s3://<bucket>/<key of a model file>';
  const parsed = parseS3Uri(uri);
  if (parsed === undefined) return `${expected}, got ${JSON.stringify(uri)}`;
  const { bucket: bucketName, key: path } = parsed;
  if (!isBucketName(bucketName)) return `${JSON.stringify(bucketName)} is not an S3 bucket name`;
  if (path === '') return { bucketName, path };
  const segments = (path.endsWith('/') ? path.slice(0, -1) : path).split('/');
  const bad = segments.find((s) => !KEY_SEGMENT.test(s) || s === '.' || s === '..');
  if (bad !== undefined) {
    return `${JSON.stringify(uri)}: each part of the path must be letters, digits or !_.()=+,@:~- (not empty, . or ..), got ${JSON.stringify(bad)}`;
  }
  return { bucketName, path };
}

/** referenceLocation: `s3://bucket/key` of a profile, or `none`. */
function readReference(location: string | undefined, problems: string[]): StackSettings['reference'] {
  if (location === undefined || location === 'none') return location;
  const parsed = grantableLocation(location);
  if (typeof parsed === 'string' || parsed.path === '' || parsed.path.endsWith('/')) {
    problems.push(`context referenceLocation: expected s3://<bucket>/<key of a profile> or none, got ${JSON.stringify(location)}`);
    return undefined;
  }
  return { bucketName: parsed.bucketName, key: parsed.path };
}

function readAlarmSettings(raw: Raw, problems: string[]): StackSettings['alarms'] {
  const email = raw('alarmEmail');
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) problems.push('context alarmEmail: not an email address');
  const topicArn = raw('alarmTopicArn');
  if (topicArn !== undefined && !SNS_TOPIC_ARN.test(topicArn)) {
    problems.push(
      `context alarmTopicArn: expected a standard SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got ${JSON.stringify(topicArn)}`,
    );
  }
  if (email !== undefined && topicArn !== undefined) {
    problems.push('context alarmEmail: not with alarmTopicArn (subscribe the address to that topic instead)');
  }
  return { email, topicArn };
}

/**
 * Context keys that the CDK itself reads or writes: its feature flags (`@aws-cdk/...`), its own
 * settings (`aws:cdk:...`), its lookups' cache (`availability-zones:account=...`), all with a
 * colon, and the two plain keys its CLI writes to cdk.json.
 */
const isCdkKey = (key: string) => key.includes(':') || key === 'acknowledged-issue-numbers' || key === 'cli-telemetry';

/** Edits (insert, delete, substitute) from a to b. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The known key nearest to a misspelled one, case aside, when it is near enough to be what was meant. */
export function closestContextKey(key: string): ContextKey | undefined {
  const scored = CONTEXT_KEYS.map((known) => ({ known, distance: editDistance(key.toLowerCase(), known.toLowerCase()) }));
  const best = scored.reduce((a, b) => (b.distance < a.distance ? b : a));
  return best.distance <= Math.max(2, Math.floor(best.known.length / 3)) ? best.known : undefined;
}

/**
 * The context keys given (`-c key=value`, cdk.json) that are not this app's and that it
 * therefore ignores, each with the message that names the closest known key. CDK's own keys
 * are left out.
 *
 * @example
 * ```typescript
 * import { App } from 'aws-cdk-lib';
 * import { unknownContextKeys } from './stack-settings';
 *
 * unknownContextKeys(new App({ context: { memorysize: '1024' } }).node);
 * // [{ key: 'memorysize', message: 'context memorysize is not a setting of this app and is ignored: did you mean memorySize?' }]
 * ```
 */
export function unknownContextKeys(node: Node): { key: string; message: string }[] {
  const known: readonly string[] = CONTEXT_KEYS;
  return Object.keys(node.getAllContext())
    .filter((key) => !known.includes(key) && !isCdkKey(key))
    .map((key) => {
      const closest = closestContextKey(key);
      const hint = closest === undefined ? ` (the settings are: ${CONTEXT_KEYS.join(', ')})` : `: did you mean ${closest}?`;
      return { key, message: `context ${key} is not a setting of this app and is ignored${hint}` };
    });
}
