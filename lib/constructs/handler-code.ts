/**
 * The function's code as CDK assets, bundled by esbuild (lambda/build.ts) in the app's own
 * process when the CDK stages them: at `cdk synth`, `diff` and `deploy`. `cdk ls` and `destroy`
 * skip bundling (the CLI's `aws:cdk:bundling-stacks`), and so does a test that sets it.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, AssetStaging, type BundlingOptions, DockerImage, type ILocalBundling, Stack } from 'aws-cdk-lib';
import type { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Code, DockerImageCode } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { bundleHandler, LAMBDA_DIR } from '../../lambda/build';

/** The image's build context as lambda/ lays it out for `docker build lambda/`: its Dockerfile copies dist/. */
const DOCKERFILE = 'Dockerfile';
const IMAGE_DIST = 'dist';

/** esbuild into the asset's output directory: the zip's files, or the image's build context. */
class HandlerBundling implements ILocalBundling {
  constructor(private readonly layout: 'zip' | 'image') {}

  tryBundle(outputDir: string): boolean {
    if (this.layout === 'zip') {
      bundleHandler(outputDir);
    } else {
      bundleHandler(join(outputDir, IMAGE_DIST));
      copyFileSync(join(LAMBDA_DIR, DOCKERFILE), join(outputDir, DOCKERFILE));
    }
    return true; // bundled here: the CDK never starts Docker for it
  }
}

const bundling = (layout: 'zip' | 'image'): BundlingOptions => ({
  local: new HandlerBundling(layout),
  // Required by the type and never pulled: local bundling always succeeds.
  image: DockerImage.fromRegistry('esbuild-in-process'),
});

/**
 * The zip's code: index.mjs and its source map. Hashed on what it ships (the bundle), so that
 * a change to a dependency deploys and a rebuild of the same code does not.
 *
 * @example
 * ```typescript
 * new Function(this, 'Function', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: handlerZipCode() });
 * ```
 */
export function handlerZipCode(): Code {
  return Code.fromAsset(LAMBDA_DIR, { assetHashType: AssetHashType.OUTPUT, bundling: bundling('zip') });
}

/**
 * The container image's code: lambda/Dockerfile over the bundle, its build context staged by
 * the bundling above; `cdk deploy` builds it (with Docker).
 *
 * @example
 * ```typescript
 * new DockerImageFunction(this, 'Function', { code: handlerImageCode(this, Platform.LINUX_ARM64) });
 * ```
 */
export function handlerImageCode(scope: Construct, platform: Platform): DockerImageCode {
  const context = new AssetStaging(scope, 'ImageContext', {
    sourcePath: LAMBDA_DIR,
    assetHashType: AssetHashType.OUTPUT,
    bundling: bundling('image'),
  });
  return DockerImageCode.fromImageAsset(context.absoluteStagedPath, {
    platform,
    // With bundling skipped (cdk ls, destroy), the staged path is lambda/ itself: of it, the Dockerfile only.
    exclude: Stack.of(scope).bundlingRequired ? undefined : ['*', `!${DOCKERFILE}`],
  });
}
