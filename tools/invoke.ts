/**
 * Runs the real Lambda handler on a sample event and prints what it returns:
 *
 *   npm run invoke -- events/ride.json
 *
 * Defaults to a test run (TEST_RUN=true: nothing is written) with the bundled demo model;
 * any variable of the design contract set in the environment takes precedence.
 */
import { readFileSync } from 'node:fs';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../models/demo-model';

const [eventFile] = process.argv.slice(2);
if (!eventFile) {
  console.error('usage: npm run invoke -- <event.json>   (samples in events/)');
  process.exit(2);
}

process.env.TEST_RUN ??= 'true';
process.env.RUN_ID ??= DEMO_RUN_ID;
if (!process.env.MODEL_BUCKET) process.env.MODEL_LOCATION ??= DEMO_MODEL_DIR;
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR'; // rejected records are in the output already
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Imported after the environment is set: the handler's telemetry reads it at load.
const { handler } = await import('../lambda/src/handler');
const event = JSON.parse(readFileSync(eventFile, 'utf8')) as KinesisStreamEvent;
const context = {
  functionName: 'ride-duration-local',
  awsRequestId: 'local-invoke',
  getRemainingTimeInMillis: () => 60_000,
} as Context;
console.log(JSON.stringify(await handler(event, context), null, 2));
