/**
 * Bundles the handler with esbuild into one ES module, index.mjs (and its source map): the file
 * that both the container image (lambda/Dockerfile) and the zip packaging ship. The CDK app
 * runs it through the asset's bundling when it stages the function's code
 * (lib/constructs/handler-code.ts); `npm run build` runs it alone, into lambda/dist/.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type OutputFile } from 'esbuild';

export const LAMBDA_DIR = fileURLToPath(new URL('.', import.meta.url));
export const DIST_DIR = fileURLToPath(new URL('./dist', import.meta.url));
export const BUNDLE = `${DIST_DIR}/index.mjs`;

export interface BundleOptions {
  minify?: boolean;
  sourcemap?: boolean;
  /**
   * Where the files are written, when not beside `outfile`, which then only sets what the
   * source map's paths are relative to: the same sources make the same bytes wherever written.
   */
  writeTo?: string;
}

/**
 * Bundles an entry point into one ES module for Node.js, dependencies included. Written
 * beside the target and renamed into place, so that a reader (a test starting the bundle)
 * never sees a half-written file while another process rebuilds it.
 */
export function bundle(entryPoint: string, outfile: string, options: BundleOptions = {}): void {
  const outdir = options.writeTo ?? dirname(outfile);
  const files = build(entryPoint, outfile, options);
  mkdirSync(outdir, { recursive: true });
  // Staged beside the output's folder, not in it: the zip packaging ships that folder whole.
  const staging = mkdtempSync(join(dirname(outdir), '.bundle-'));
  try {
    for (const file of files) writeFileSync(join(staging, basename(file.path)), file.contents);
    for (const file of readdirSync(staging)) renameSync(join(staging, file), join(outdir, file));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function build(entryPoint: string, outfile: string, options: BundleOptions): OutputFile[] {
  return buildSync({
    entryPoints: [entryPoint],
    outfile,
    write: false,
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
  }).outputFiles;
}

/**
 * The handler's bundle, index.mjs and index.mjs.map, into `outdir` (lambda/dist/ by default):
 * the same bytes wherever written (the map's paths are lambda/dist/'s), so that the CDK's
 * asset hash, taken of them, changes with the code only.
 */
export function bundleHandler(outdir = DIST_DIR): void {
  const entryPoint = fileURLToPath(new URL('./src/handler.ts', import.meta.url));
  bundle(entryPoint, BUNDLE, { minify: true, sourcemap: true, writeTo: outdir });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  bundleHandler();
  console.log(`lambda/dist/index.mjs: ${Math.round(statSync(BUNDLE).size / 1024)} KiB`);
}
