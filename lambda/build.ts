/**
 * Bundles the handler with esbuild into lambda/dist/index.mjs: the file that both the
 * container image (lambda/Dockerfile) and the zip packaging ship. The CDK app calls
 * bundleHandler() at synth; `npm run build` runs it alone.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

export const LAMBDA_DIR = fileURLToPath(new URL('.', import.meta.url));
export const DIST_DIR = fileURLToPath(new URL('./dist', import.meta.url));
export const BUNDLE = `${DIST_DIR}/index.mjs`;

/** Bundles an entry point into one ES module for Node.js, dependencies included. */
export function bundle(entryPoint: string, outfile: string, options: { minify?: boolean; sourcemap?: boolean } = {}): void {
  buildSync({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: options.minify ?? false,
    sourcemap: options.sourcemap ?? false,
    legalComments: 'none',
    // Some CommonJS dependencies call require(); give the ES module one.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

export function bundleHandler(): void {
  bundle(fileURLToPath(new URL('./src/handler.ts', import.meta.url)), BUNDLE, { minify: true, sourcemap: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  bundleHandler();
  console.log(`lambda/dist/index.mjs: ${Math.round(statSync(BUNDLE).size / 1024)} KiB`);
}
