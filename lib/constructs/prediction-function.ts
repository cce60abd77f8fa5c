import { Duration, Validations } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, DockerImageCode, DockerImageFunction, Function as LambdaFunction, Runtime, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleHandler, DIST_DIR, LAMBDA_DIR } from '../../lambda/build';
import type { StackSettings } from '../stack-settings';

/** At or below this memory size, V8 is told to keep its young generation small. */
export const SMALL_FUNCTION_MB = 256;

export interface PredictionFunctionProps {
  settings: StackSettings;
  functionName: string;
  /** The handler's configuration (design contract). */
  environment: Record<string, string>;
}

/**
 * The handler as a Lambda function: a container image built from lambda/Dockerfile (the
 * default) or a zip, both from the same esbuild bundle. Its role starts empty: it may write
 * its own log group, and the stack grants the rest resource by resource.
 */
export class PredictionFunction extends Construct {
  readonly function: IFunction & LambdaFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, { settings, functionName, environment }: PredictionFunctionProps) {
    super(scope, id);
    bundleHandler(); // lambda/dist/index.mjs, which both packagings ship

    const logGroup = new LogGroup(this, 'Logs', { logGroupName: `/aws/lambda/${functionName}`, retention: settings.logRetention });
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(this.role);

    const arm = settings.architecture === 'arm64';
    // A small young generation keeps a forest of 100 deep trees under 128 MB (npm run bench
    // measures it) for a few percent of throughput; with room to spare, V8's default is faster.
    const nodeOptions = ['--enable-source-maps', ...(settings.memorySize <= SMALL_FUNCTION_MB ? ['--max-semi-space-size=2'] : [])];
    const common = {
      functionName,
      role: this.role,
      logGroup,
      architecture: arm ? Architecture.ARM_64 : Architecture.X86_64,
      memorySize: settings.memorySize,
      timeout: Duration.seconds(settings.timeoutSeconds),
      reservedConcurrentExecutions: settings.reservedConcurrency,
      environment: { ...environment, NODE_OPTIONS: nodeOptions.join(' ') },
    };
    if (settings.packaging === 'image') {
      this.function = new DockerImageFunction(this, 'Function', {
        ...common,
        // Staged at synth; built by `cdk deploy`, which needs Docker (and QEMU/buildx for arm64 on x86).
        code: DockerImageCode.fromImageAsset(LAMBDA_DIR, {
          platform: arm ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
          exclude: ['*', '!Dockerfile', '!dist/index.mjs', '!dist/index.mjs.map'],
        }),
      });
    } else {
      this.function = new LambdaFunction(this, 'Function', {
        ...common,
        runtime: Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: Code.fromAsset(DIST_DIR),
      });
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions::AwsSolutions-L1',
        reason: 'Pinned to Node.js 22, the runtime the bundle targets and the container image uses.',
      });
    }
  }
}
