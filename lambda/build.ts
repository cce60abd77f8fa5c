/**
 * Bundles the handler with esbuild into lambda/dist/index.mjs: the file that both the
 * container image (lambda/Dockerfile) and the zip packaging ship. The CDK app calls
 * bundleHandler() at synth; `npm run build` runs it alone.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

export const LAMBDA_DIR = fileURLToPath(new URL('.', import.meta.url));
export const DIST_DIR = fileURLToPath(new URL('./dist', import.meta.url));
export const BUNDLE = `${DIST_DIR}/index.mjs`;

/**
 * Bundles an entry point into one ES module for Node.js, dependencies included. Written
 * beside the target and renamed into place, so that a reader (a synth, a test starting the
 * bundle) never sees a half-written file while another process rebuilds it.
 */
export function bundle(entryPoint: string, outfile: string, options: { minify?: boolean; sourcemap?: boolean } = {}): void {
  mkdirSync(dirname(outfile), { recursive: true });
  // Staged beside the output's folder, not in it: the zip packaging ships that folder whole.
  const staging = mkdtempSync(join(dirname(dirname(outfile)), '.bundle-'));
  try {
    build(entryPoint, join(staging, basename(outfile)), options);
    for (const file of readdirSync(staging)) renameSync(join(staging, file), join(dirname(outfile), file));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function build(entryPoint: string, outfile: string, options: { minify?: boolean; sourcemap?: boolean }): void {
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
