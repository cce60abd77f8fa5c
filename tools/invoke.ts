/**
 * Runs the real Lambda handler on a sample event and prints what it returns:
 *
 *   npm run invoke -- events/ride.json
 *   MODEL_LOCATION=path/to/model npm run invoke -- events/batch.json
 *
 * Defaults to a test run (TEST_RUN=true: nothing is written). With none of RUN_ID,
 * MODEL_BUCKET and MODEL_LOCATION set, it serves the bundled demo model; otherwise it serves
 * exactly what those variables say, as the function would (RUN_ID alone names a run but not
 * where its model is, and fails saying so). It says on stderr which model it serves.
 */
import { readFileSync } from 'node:fs';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { useLocalEnvironment } from '../local/environment';
import { DEMO_MODEL_DIR } from '../models/demo-model';

const [eventFile, ...extra] = process.argv.slice(2);
if (!eventFile || extra.length > 0 || eventFile.startsWith('-')) {
  console.error(
    'usage: npm run invoke -- <event.json>   (samples in events/; the model from RUN_ID, MODEL_BUCKET, MODEL_LOCATION, or the demo)',
  );
  process.exit(2);
}

const env = process.env;
env.TEST_RUN ??= 'true';
const demo = !env.RUN_ID && !env.MODEL_BUCKET && !env.MODEL_LOCATION;
if (demo) env.MODEL_LOCATION = DEMO_MODEL_DIR;
useLocalEnvironment({ logLevel: 'ERROR' }); // rejected records are in the output already

// Imported after the environment is set: the handler's telemetry reads it at load.
const { describeLocation, handler, parseConfig } = await import('../lambda/src');
try {
  const { model } = parseConfig(env);
  const label = model.runId === undefined ? "its MLmodel's run id, as RUN_ID is not set" : `RUN_ID ${model.runId}`;
  console.error(`invoke: serving ${demo ? 'the bundled demo model, ' : ''}${describeLocation(model.location)}, labelled with ${label}`);
} catch (error) {
  console.error(`invoke: ${(error as Error).message}`);
  process.exit(1);
}
const event = JSON.parse(readFileSync(eventFile, 'utf8')) as KinesisStreamEvent;
const context = {
  functionName: 'ride-duration-local',
  awsRequestId: 'local-invoke',
  getRemainingTimeInMillis: () => 60_000,
} as Context;
try {
  console.log(JSON.stringify(await handler(event, context), null, 2));
} catch (error) {
  console.error(`invoke: ${(error as Error).message}`);
  process.exit(1);
}
