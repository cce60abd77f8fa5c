/**
 * npm run profile: the reference profile of training rides and the served model's predictions
 * on them (docs/monitoring.md has its schema), written beside the model's directory as
 * MLflow's artifacts hold it, `<run>/artifacts/reference/profile.json`.
 *   npm run profile -- green_tripdata_2021-01.parquet --model mlruns/1/<run id>/artifacts/model
 *   npm run profile -- rides.csv --model lin_reg.bin -o reference/profile.json [--bins 10] [--top 50]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fail as failWith } from '../local/cli';
import { useLocalEnvironment } from '../local/environment';

const USAGE =
  'usage: npm run profile -- <rides.parquet | rides.csv | rides.json[l]> --model <model directory | model file> [-o <profile.json>] [--run-id <id>] [--bins <n>] [--top <n>]';
/** Every mistake exits 2, the command line's or not. */
const fail = (message: string): never => failWith('npm run profile', message, 2);

let parsed: ReturnType<typeof parse>;
const parse = () =>
  parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'run-id': { type: 'string' },
      bins: { type: 'string', default: '10' },
      top: { type: 'string', default: '50' },
      help: { type: 'boolean', default: false },
    },
  });
try {
  parsed = parse();
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
const { values, positionals } = parsed!;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length !== 1 || values.model === undefined) fail(USAGE);
const bins = Number(values.bins);
const top = Number(values.top);
if (!Number.isInteger(bins) || bins < 2 || bins > 100) fail(`--bins must be an integer from 2 to 100, got ${JSON.stringify(values.bins)}`);
if (!Number.isInteger(top) || top < 1 || top > 1000) fail(`--top must be an integer from 1 to 1000, got ${JSON.stringify(values.top)}`);
const modelPath = resolve(values.model!);
// The default: MLflow's layout, reference/ beside model/.
const output = values.output ?? (basename(modelPath) === 'model' ? join(dirname(modelPath), 'reference', 'profile.json') : undefined);
if (output === undefined)
  fail(`--model ${values.model} is not a directory named model (MLflow's layout): say where the profile goes with -o`);

useLocalEnvironment({ logLevel: 'SILENT' });
// Imported after the environment is set: the function's telemetry reads it at load.
const { buildReferenceProfile, loadModelAt, monitoredFeaturesOf } = await import('../lambda/src');
const { readRideFile } = await import('./ride-files');

const data = await readRideFile(positionals[0]).catch((error: Error) => fail(error.message));
if (data.rides.length === 0) fail(`${positionals[0]}: no ride the function would accept among its ${data.rows} rows`);
const loaded = await loadModelAt({ kind: 'local', path: modelPath }).catch((error: Error) => fail(error.message));
const profile = (() => {
  try {
    return buildReferenceProfile({
      rides: data.rides,
      predictions: Float64Array.from(loaded.model.predict(data.rides)),
      features: monitoredFeaturesOf(loaded.model),
      model: {
        runId: values['run-id'] ?? loaded.mlmodel?.runId,
        file: loaded.file.name,
        sha256: createHash('sha256').update(readFileSync(loaded.file.uri)).digest('hex'),
      },
      data: { source: basename(positionals[0]), format: data.format, rows: data.rows, rejected: data.rows - data.rides.length },
      bins,
      top,
    });
  } catch (error) {
    // A feature no accepted ride has a value of (an optional field the file lacks): say which, in the file's words.
    return fail(`${(error as Error).message} in the ${data.rides.length} rides of ${positionals[0]} the function would accept`);
  }
})();
mkdirSync(dirname(output!), { recursive: true });
const text = `${JSON.stringify(profile, null, 2)}\n`;
writeFileSync(output!, text);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const lines = [
  `profile  ${output} (sha256 ${createHash('sha256').update(text).digest('hex')})`,
  `rides    ${data.rides.length} of ${data.rows} rows (${data.format})${data.rejected.size > 0 ? '; refused:' : ''}`,
  ...[...data.rejected].slice(0, 5).map(([reason, n]) => `           ${n} x ${reason}`),
  `model    ${loaded.file.uri} (run ${profile.model.runId ?? 'none'})`,
  ...profile.features.map((f) =>
    f.kind === 'numeric'
      ? `feature  ${f.name}: ${f.edges.length + 1} bins, median ${f.percentiles.p50}, p99 ${f.percentiles.p99}`
      : `feature  ${f.name}: ${f.categories.length} of ${f.distinct} values kept (${pct(1 - f.other)} of rides), other ${pct(f.other)}`,
  ),
  `predict  ${profile.prediction.edges.length + 1} bins, mean ${profile.prediction.mean.toFixed(3)}, median ${profile.prediction.percentiles.p50.toFixed(3)}, p99 ${profile.prediction.percentiles.p99.toFixed(3)}`,
];
console.log(lines.join('\n'));
