/**
 * Checks a model before it is deployed: loads it exactly as the function starts (the same
 * identity and feature checks), prints what it is, predicts the sample rides in events/ and,
 * with --compare, compares those predictions with scikit-learn's own.
 *
 *   npm run model-check -- models/demo/model
 *   npm run model-check -- s3://my-mlflow-artifacts/1/<run id>/artifacts/model --compare
 *   npm run model-check -- path/to/lin_reg.bin --run-id my-label
 *
 * S3 uses the usual AWS credentials and region (S3_ENDPOINT_URL for a local S3). --compare
 * runs tools/sklearn_predict.py with PYTHON (default python3), which needs scikit-learn.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { Ride } from '../lambda/src';
import {
  createClients,
  DEFAULT_PICKLE_NAME,
  decodeRideRecord,
  describeLocation,
  loadServedModel,
  openModelSource,
  parseConfig,
  prepareFeatures,
  type RideFeatures,
} from '../lambda/src';
import { useLocalEnvironment } from '../local/environment';

const USAGE = 'usage: npm run model-check -- <model directory | model file | s3://bucket/prefix-or-key> [--run-id <id>] [--compare]';
/** How close the served predictions must be to scikit-learn's, relative (the parity tests' bound). */
const TOLERANCE = 1e-9;

let args: ReturnType<typeof parse>;
const parse = () =>
  parseArgs({
    allowPositionals: true,
    options: { 'run-id': { type: 'string' }, compare: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
try {
  args = parse();
} catch (error) {
  console.error(`model-check: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const [where, ...extra] = args.positionals;
if (args.values.help || !where || extra.length > 0) {
  console.error(USAGE);
  process.exit(args.values.help ? 0 : 2);
}
useLocalEnvironment();

const line = (label: string, value: unknown) => console.log(`${label.padEnd(20)} ${value}`);

/** The good rides of the sample events, and more across every zone, so that a comparison sees many leaves. */
function sampleRides(): { label: string; ride: Ride }[] {
  const samples: { label: string; ride: Ride }[] = [];
  const eventsDir = new URL('../events/', import.meta.url);
  for (const file of readdirSync(eventsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const event = JSON.parse(readFileSync(new URL(file, eventsDir), 'utf8')) as KinesisStreamEvent;
    for (const record of event.Records) {
      const decoded = decodeRideRecord(record.kinesis.data);
      if (decoded.ok)
        samples.push({ label: `${file.padEnd(11)} ride ${String(decoded.event.ride_id).padEnd(26)}`, ride: decoded.event.ride });
    }
  }
  return samples;
}

/** Deterministic rides over the NYC zones, for the comparison with scikit-learn. */
function gridRides(count: number): Ride[] {
  return Array.from({ length: count }, (_, i) => ({
    PULocationID: 1 + ((i * 37) % 265),
    DOLocationID: 1 + ((i * 91 + 13) % 265),
    trip_distance: Math.round(((i * 7919) % 3000) * 1.7) / 100,
  }));
}

/** scikit-learn's predictions for the rows, from the pickle, by tools/sklearn_predict.py. */
function sklearnPredictions(pickle: Uint8Array, rows: RideFeatures[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'model-check-'));
  try {
    writeFileSync(join(dir, 'model.pkl'), pickle);
    const python = process.env.PYTHON ?? 'python3';
    const run = spawnSync(python, [new URL('./sklearn_predict.py', import.meta.url).pathname, join(dir, 'model.pkl')], {
      input: JSON.stringify(rows),
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (run.status !== 0) {
      const output = run.stderr || run.error?.message || '';
      // Only a missing module is the wrong Python; anything else is scikit-learn's own answer about the model.
      const hint = /ModuleNotFoundError|ENOENT/.test(output) ? ` (does ${python} have scikit-learn? PYTHON chooses another)` : '';
      throw new Error(`${python} tools/sklearn_predict.py failed${hint}:\n${output}`);
    }
    return JSON.parse(run.stdout) as number[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  // The function's own reading of MODEL_LOCATION and RUN_ID, so the check sees what it would.
  const config = parseConfig({ ...process.env, MODEL_LOCATION: where, TEST_RUN: 'true', RUN_ID: args.values['run-id'] });
  const { s3 } = createClients(config);
  const served = await loadServedModel(config.model, () => s3, { requireVersion: false });
  const { model, mlmodel } = served;

  line('model', describeLocation(config.model.location));
  line('file', `${served.path} (${served.format === 'pickle' ? 'pickle, read natively' : 'model.json'})`);
  if (served.note) line('note', served.note);
  for (const [key, value] of Object.entries(model.summary())) if (value !== undefined) line(key, value);
  if (mlmodel) {
    line('mlflow', `run ${mlmodel.runId ?? '?'}, flavors ${mlmodel.flavors.join(', ')}, created ${mlmodel.createdAt ?? '?'}`);
    line(
      'signature',
      mlmodel.signatureInputs
        ? `[${mlmodel.signatureInputs.join(', ')}]: matches the handler's features`
        : 'none with named inputs: not checked',
    );
  } else {
    line('mlflow', 'no MLmodel: signature not checked');
  }
  line('columns', `${model.features.names.length}, all of them features the handler prepares`);
  line('version', served.version ?? 'none: the model has no MLflow run id; serve it with RUN_ID set to label its predictions');

  console.log('\nsample rides (events/):');
  const samples = sampleRides();
  const durations = model.predict(samples.map((s) => prepareFeatures(s.ride)));
  samples.forEach(({ label, ride }, i) => {
    console.log(`  ${label} ${ride.PULocationID} -> ${ride.DOLocationID}, ${ride.trip_distance} mi: ${durations[i].toFixed(2)} min`);
  });

  if (args.values.compare) {
    const source = await openModelSource(config.model.location, () => s3);
    const pickleName = mlmodel?.sklearn?.pickledModel ?? DEFAULT_PICKLE_NAME;
    // A single file was served as what it is: a pickle, or a model.json that scikit-learn cannot read.
    const pickle = source.kind === 'file' ? (served.format === 'pickle' ? source.bytes : undefined) : await source.read(pickleName);
    if (pickle === undefined) throw new Error('--compare needs the pickle scikit-learn reads; this model has none (a model.json only)');
    const rows = [...samples.map((s) => s.ride), ...gridRides(500)].map(prepareFeatures);
    const ours = model.predict(rows);
    const theirs = sklearnPredictions(pickle, rows);
    const worst = theirs.reduce((max, want, i) => Math.max(max, Math.abs(ours[i] - want) / Math.max(1, Math.abs(want))), 0);
    const verdict = worst <= TOLERANCE ? 'matches scikit-learn' : 'MISMATCH with scikit-learn';
    line('compare', `${verdict} on ${rows.length} rides (largest relative difference ${worst.toExponential(2)}, bound ${TOLERANCE})`);
    if (worst > TOLERANCE) process.exitCode = 1;
  }
} catch (error) {
  console.error(`model-check: ${(error as Error).message}`);
  process.exit(1);
}
