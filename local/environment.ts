/*
 * The environment of local commands (npm run local, tail, drill, invoke, model-check, bench)
 * and of the tests, in one place: the emulators' credentials and region, and quiet telemetry.
 * No imports, so a command can apply it before the function's modules load (their telemetry
 * reads the environment at import).
 */

/** The region the emulators answer for (any would do; the AWS CLI and SDK need one). */
export const LOCAL_REGION = 'us-east-1';

/** The account of local ARNs and queue URLs, as emulators use it. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** s3rver accepts only its own key pair; kinesalite and the local SQS server accept any. */
export const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: LOCAL_REGION,
  AWS_DEFAULT_REGION: LOCAL_REGION, // what the AWS CLI reads
} as const;

/** No metric blobs on stdout, and no SDK notice about the Node.js version. */
export const QUIET_TELEMETRY = {
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

export type LogLevel = 'SILENT' | 'ERROR' | 'WARN' | 'INFO';

/**
 * Sets what a local command needs, leaving alone whatever the shell set already: quiet
 * telemetry at `logLevel`, and (for commands that talk to the emulators) their credentials.
 */
export function useLocalEnvironment(options: { logLevel?: LogLevel; emulators?: boolean } = {}): void {
  const settings = {
    ...QUIET_TELEMETRY,
    ...(options.logLevel && { POWERTOOLS_LOG_LEVEL: options.logLevel }),
    ...(options.emulators && LOCAL_CREDENTIALS),
  };
  for (const [name, value] of Object.entries(settings)) process.env[name] ??= value;
}

/** The `export ...` line a person types to point the AWS CLI at the emulators. */
export const EXPORT_LOCAL_CREDENTIALS = `export ${Object.entries(LOCAL_CREDENTIALS)
  .filter(([name]) => name !== 'AWS_REGION')
  .map(([name, value]) => `${name}=${value}`)
  .join(' ')}`;
