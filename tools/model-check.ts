/**
 * Checks a model before it is deployed: loads it exactly as the function starts (the same
 * identity and feature checks), prints what it is, predicts the sample rides in events/ and,
 * with --compare, compares those predictions with scikit-learn's own.
 *
 *   npm run model-check -- models/demo/model
 *   npm run model-check -- s3://my-mlflow-artifacts/1/<run id>/artifacts/model --compare
 *   npm run model-check -- path/to/lin_reg.bin --run-id my-label
 *
 * S3 uses the usual AWS credentials and region; an s3:// URI of a bucket that a running local
 * stack (npm run local) holds is read from that stack's S3, and S3_ENDPOINT_URL names any other
 * S3 to read from. --compare runs tools/sklearn_predict.py with PYTHON (default python3), which
 * needs scikit-learn.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { ModelLocation, Ride, ServedPart } from '../lambda/src';
import {
  createClients,
  decodeRideRecord,
  describeLocation,
  loadServedModel,
  openModelSource,
  parseConfig,
  parseS3Uri,
} from '../lambda/src';
import { localS3Holds } from '../local/buckets';
import { fail, MODEL_OPTIONS, readCommandLine } from '../local/cli';
import { LOCAL_CREDENTIALS, useLocalEnvironment } from '../local/environment';
import { DEFAULT_PORTS } from '../local/local-stack';

const COMMAND = 'npm run model-check';
const USAGE = `usage: ${COMMAND} -- <model directory | model file | s3://bucket/prefix-or-key> [--run-id <label>] [--compare]`;
/** How close the served predictions must be to scikit-learn's, relative (the parity tests' bound). */
const TOLERANCE = 1e-9;

const args = readCommandLine(
  COMMAND,
  USAGE,
  { allowPositionals: true, options: { 'run-id': MODEL_OPTIONS['run-id'], compare: { type: 'boolean', default: false } } },
  { positionals: [1, 1] },
);
const [where] = args.positionals;
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

/**
 * The library's own predictions for the rows, by tools/sklearn_predict.py: every file the
 * model was served from, copied here, loaded in Python (pickle, joblib, a booster file) and
 * put together as the runtime put them, given the rows as the training code made them.
 */
async function libraryPredictions(
  parts: readonly ServedPart[],
  rows: Record<string, string | number>[],
  input: 'dicts' | 'frame',
  s3: () => S3Client,
): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'model-check-'));
  try {
    const plan = await Promise.all(
      parts.map(async (part, i) => {
        const location: ModelLocation = part.uri.startsWith('s3://') ? s3Location(part.uri) : { kind: 'local', path: part.uri };
        const source = await openModelSource(location, s3);
        if (source.kind !== 'file') throw new Error(`${part.uri} is not a file`);
        const file = join(dir, `${i}-${basename(part.uri)}`);
        writeFileSync(file, source.bytes);
        return { path: file, key: part.key, format: part.format, role: part.role };
      }),
    );
    writeFileSync(join(dir, 'plan.json'), JSON.stringify({ parts: plan, input }));
    const python = process.env.PYTHON ?? 'python3';
    const run = spawnSync(python, [new URL('./sklearn_predict.py', import.meta.url).pathname, join(dir, 'plan.json')], {
      input: JSON.stringify(rows),
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (run.status !== 0) {
      const output = run.stderr || run.error?.message || '';
      // Only a missing module is the wrong Python; anything else is the library's own answer about the model.
      const hint = /ModuleNotFoundError|ENOENT/.test(output)
        ? ` (does ${python} have scikit-learn and the model's libraries? PYTHON chooses another)`
        : '';
      throw new Error(`${python} tools/sklearn_predict.py failed${hint}:\n${output}`);
    }
    return JSON.parse(run.stdout) as number[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** s3://bucket/key as a model location. */
function s3Location(uri: string): ModelLocation {
  const parsed = parseS3Uri(uri);
  if (parsed === undefined) throw new Error(`expected s3://<bucket>/<key>, got ${JSON.stringify(uri)}`);
  return { kind: 's3', bucket: parsed.bucket, path: parsed.key };
}

/** The local stack's S3 (npm run local's), where an s3:// URI without S3_ENDPOINT_URL is read when it holds the bucket. */
const LOCAL_S3 = `http://127.0.0.1:${DEFAULT_PORTS.s3}`;
const bucket = parseS3Uri(where)?.bucket;
let hint = '';
if (bucket !== undefined && process.env.S3_ENDPOINT_URL === undefined) {
  if (await localS3Holds(LOCAL_S3, bucket)) {
    Object.assign(process.env, LOCAL_CREDENTIALS, { S3_ENDPOINT_URL: LOCAL_S3 });
    line('s3', `the local stack's, ${LOCAL_S3}, which holds ${bucket} (S3_ENDPOINT_URL chooses another)`);
  } else {
    hint = `\n(read from AWS: no local stack's S3 at ${LOCAL_S3} holds ${bucket}; for another local S3, set S3_ENDPOINT_URL)`;
  }
}

try {
  // The function's own reading of MODEL_LOCATION and RUN_ID, so the check sees what it would.
  const config = parseConfig({ ...process.env, MODEL_LOCATION: where, TEST_RUN: 'true', RUN_ID: args.values['run-id'] });
  const { s3 } = createClients(config);
  const served = await loadServedModel(config.model, () => s3, { requireVersion: false });
  const { model, mlmodel } = served;

  line('model', describeLocation(config.model.location));
  line('file', `${served.file.uri} (${served.format === 'pickle' ? 'pickle, read natively' : 'model.json'})`);
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
  line('ride inputs', model.inputs.map(({ name, as }) => (as === 'category' ? `${name} one-hots` : name)).join(', '));
  for (const part of served.parts) line('part', part.description);
  line('version', served.version ?? 'none: the model has no MLflow run id; serve it with RUN_ID set to label its predictions');

  console.log('\nsample rides (events/):');
  const samples = sampleRides();
  const durations = model.predict(samples.map((s) => s.ride));
  samples.forEach(({ label, ride }, i) => {
    console.log(`  ${label} ${ride.PULocationID} -> ${ride.DOLocationID}, ${ride.trip_distance} mi: ${durations[i].toFixed(2)} min`);
  });

  if (args.values.compare) {
    if (served.format === 'json')
      throw new Error('--compare needs the files the library reads; this model was served from a model.json export');
    const rides = [...samples.map((s) => s.ride), ...gridRides(500)];
    const ours = model.predict(rides);
    const theirs = await libraryPredictions(served.parts, model.featureRecords(rides), model.inputFormat, () => s3);
    const worst = theirs.reduce((max, want, i) => Math.max(max, Math.abs(ours[i] - want) / Math.max(1, Math.abs(want))), 0);
    const verdict = worst <= TOLERANCE ? 'matches scikit-learn' : 'MISMATCH with scikit-learn';
    line('compare', `${verdict} on ${rides.length} rides (largest relative difference ${worst.toExponential(2)}, bound ${TOLERANCE})`);
    if (worst > TOLERANCE) process.exitCode = 1;
  }
} catch (error) {
  fail(COMMAND, (error as Error).message + hint);
}
