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

export function bundleHandler(): void {
  buildSync({
    entryPoints: [fileURLToPath(new URL('./src/handler.ts', import.meta.url))],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    // Some CommonJS dependencies call require(); give the ES module one.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  bundleHandler();
  console.log(`lambda/dist/index.mjs: ${Math.round(statSync(BUNDLE).size / 1024)} KiB`);
}
