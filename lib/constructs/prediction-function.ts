import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, DockerImageFunction, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULTS, type Packaging } from '../stack-settings';
import { handlerImageCode, handlerZipCode } from './handler-code';

/** At or below this memory size, V8 is told to keep its young generation small. */
export const SMALL_FUNCTION_MB = 256;

export interface PredictionFunctionProps {
  readonly functionName: string;
  /** The function logs here (Lambda's advanced logging configuration), whatever its name. */
  readonly logGroupName: string;
  /** The handler's configuration (docs/design.md). */
  readonly environment: Record<string, string>;
  /**
   * A container image built from lambda/Dockerfile, or a zip on the Node.js 22 runtime; both
   * ship the handler's esbuild bundle, made when the CDK stages the code (handler-code.ts).
   * @default 'image'
   */
  readonly packaging?: Packaging;
  /** @default 'arm64' */
  readonly architecture?: 'arm64' | 'x86_64';
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default - none: the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * What `cdk destroy` does with the log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default Tracing.DISABLED */
  readonly tracing?: Tracing;
}

/**
 * The handler as a Lambda function: a container image built from lambda/Dockerfile (the
 * default) or a zip, both from the same esbuild bundle. Its role starts empty: it may write
 * its own log group, and the stack grants the rest resource by resource.
 *
 * @example
 * ```typescript
 * import { PredictionFunction } from './constructs/prediction-function';
 *
 * const { function: fn, role } = new PredictionFunction(this, 'Prediction', {
 *   functionName: 'ride-duration-prediction-stg',
 *   logGroupName: '/aws/lambda/ride-duration-prediction-stg',
 *   environment: { RUN_ID: runId, MODEL_BUCKET: bucket.bucketName },
 *   packaging: 'zip',
 * });
 * ```
 */
export class PredictionFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: PredictionFunctionProps) {
    super(scope, id);
    const packaging = props.packaging ?? DEFAULTS.packaging;
    const memorySize = props.memorySize ?? DEFAULTS.memorySize;

    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: props.logGroupName,
      retention: props.logRetention ?? (DEFAULTS.logRetentionDays as RetentionDays),
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(this.role);

    const arm = (props.architecture ?? DEFAULTS.architecture) === 'arm64';
    // A small young generation takes about 20 MB off the peak of a forest of 100 deep trees
    // (npm run bench measures it) for a few percent of throughput; with room to spare, V8's default is faster.
    const nodeOptions = ['--enable-source-maps', ...(memorySize <= SMALL_FUNCTION_MB ? ['--max-semi-space-size=2'] : [])];
    const tracing = props.tracing ?? Tracing.DISABLED;
    const common = {
      functionName: props.functionName,
      role: this.role,
      logGroup,
      architecture: arm ? Architecture.ARM_64 : Architecture.X86_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(DEFAULTS.timeoutSeconds),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing,
      environment: { ...props.environment, NODE_OPTIONS: nodeOptions.join(' ') },
    };
    if (packaging === 'image') {
      this.function = new DockerImageFunction(this, 'Function', {
        ...common,
        // Staged at synth; built by `cdk deploy`, which needs Docker (and QEMU/buildx for arm64 on x86).
        code: handlerImageCode(this, arm ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64),
      });
    } else {
      this.function = new LambdaFunction(this, 'Function', {
        ...common,
        runtime: Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: handlerZipCode(),
      });
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions::AwsSolutions-L1',
        reason: 'Pinned to Node.js 22, the runtime the bundle targets and the container image uses.',
      });
    }
    if (tracing === Tracing.ACTIVE) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: "X-Ray's PutTraceSegments and PutTelemetryRecords take no resource: active tracing needs them on *.",
      });
    }
  }
}
