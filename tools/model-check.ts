/**
 * Checks a model before it is deployed: loads it as the function would, prints what it is,
 * and predicts the sample rides in events/.
 *
 *   npm run model-check -- models/demo
 *   npm run model-check -- s3://my-mlflow-artifacts/1/<run id>/artifacts/model
 *
 * S3 uses the usual AWS credentials and region (S3_ENDPOINT_URL for a local S3).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { KinesisStreamEvent } from 'aws-lambda';
import { createClients } from '../lambda/src/aws-clients';
import { parseConfig } from '../lambda/src/config';
import { describeLocation, loadModel, loadModelInfo, readerFor } from '../lambda/src/model/load-model';
import { signatureMismatch } from '../lambda/src/model/mlmodel';
import { decodeRideRecord } from '../lambda/src/rides/decode-record';
import { FEATURE_NAMES, prepareFeatures } from '../lambda/src/rides/features';

const [where] = process.argv.slice(2);
if (!where) {
  console.error('usage: npm run model-check -- <model directory | s3://bucket/prefix>');
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

try {
  // The function's own reading of MODEL_LOCATION, so the check sees what it would.
  const config = parseConfig({ ...process.env, MODEL_LOCATION: where, TEST_RUN: 'true', RUN_ID: undefined });
  const location = config.model.location;
  const { s3 } = createClients(config);
  const model = await loadModel(location, () => s3);
  const mlflow = await loadModelInfo(location, () => s3);
  const bytes = Buffer.byteLength((await readerFor(location, () => s3)('model.json'))!);

  const line = (label: string, value: unknown) => console.log(`${label.padEnd(20)} ${value}`);
  line('model', describeLocation(location));
  for (const [key, value] of Object.entries(model.summary())) if (value !== undefined) line(key, value);
  line('size', `${(bytes / 1024).toFixed(0)} KiB (model.json)`);
  if (mlflow) {
    line('mlflow', `run ${mlflow.runId ?? '?'}, flavors ${mlflow.flavors.join(', ')}, created ${mlflow.createdAt ?? '?'}`);
    const mismatch = mlflow.signatureInputs && signatureMismatch(mlflow.signatureInputs, FEATURE_NAMES);
    line('signature', mlflow.signatureInputs ? (mismatch ? `MISMATCH: ${mismatch}` : `[${mlflow.signatureInputs.join(', ')}]: matches the handler's features`) : 'none with named inputs');
    if (mismatch) process.exitCode = 1;
  }

  console.log('\nsample rides (events/):');
  const eventsDir = new URL('../events/', import.meta.url);
  for (const file of readdirSync(eventsDir).filter((f) => f.endsWith('.json')).sort()) {
    const event = JSON.parse(readFileSync(new URL(file, eventsDir), 'utf8')) as KinesisStreamEvent;
    for (const record of event.Records) {
      const decoded = decodeRideRecord(record.kinesis.data);
      if (!decoded.ok) continue;
      const [duration] = model.predict([prepareFeatures(decoded.event.ride)]);
      const { PULocationID, DOLocationID, trip_distance } = decoded.event.ride;
      console.log(`  ${file.padEnd(11)} ride ${String(decoded.event.ride_id).padEnd(26)} ${PULocationID} -> ${DOLocationID}, ${trip_distance} mi: ${duration.toFixed(2)} min`);
    }
  }
} catch (error) {
  console.error(`model-check: ${(error as Error).message}`);
  process.exit(1);
}
