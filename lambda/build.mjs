// Bundles the handler with esbuild into lambda/dist/index.mjs, the file both the container
// image (lambda/Dockerfile) and the zip packaging ship. Run: npm run build
import { buildSync } from 'esbuild';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DIST_DIR = fileURLToPath(new URL('./dist', import.meta.url));

export function bundleHandler() {
  return buildSync({
    entryPoints: [fileURLToPath(new URL('./src/handler.ts', import.meta.url))],
    outfile: `${DIST_DIR}/index.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'none',
    // Some CommonJS dependencies call require(); give the ES module one.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  bundleHandler();
  console.log(`lambda/dist/index.mjs: ${Math.round(statSync(`${DIST_DIR}/index.mjs`).size / 1024)} KiB`);
}
