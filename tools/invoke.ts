/**
 * Runs the real Lambda handler on a sample event and prints what it returns:
 *
 *   npm run invoke -- events/ride.json
 *   npm run invoke -- --model mlruns/1/<run id>/artifacts/model events/batch.json
 *   npm run invoke -- --model s3://my-mlflow-artifacts/1/<run id>/artifacts/model events/ride.json
 *   npm run invoke -- --model lin_reg.bin --run-id lin-reg-v1 events/ride.json
 *
 * Defaults to a test run (TEST_RUN=true: nothing is written). `--model` and `--run-id` are
 * those of `npm run local`: the model is served from that place (MODEL_LOCATION), labelled with
 * the label or else its MLmodel's run id, whatever RUN_ID, MODEL_BUCKET and MODEL_LOCATION the
 * shell has. Without them, it serves what those variables say, as the function would (RUN_ID
 * alone names a run but not where its model is, and fails saying so), or the bundled demo
 * model when none is set. It says on stderr which model it serves.
 */
import { readFileSync } from 'node:fs';
import type { KinesisStreamEvent } from 'aws-lambda';
import { fail, MODEL_OPTIONS, MODEL_USAGE, readCommandLine, withModelOptions } from '../local/cli';
import { useLocalEnvironment } from '../local/environment';
import { invokeWithTimeout } from '../local/invocation';
import { DEMO_MODEL_DIR } from '../models/demo-model';

const COMMAND = 'npm run invoke';
const USAGE =
  `usage: ${COMMAND} -- ${MODEL_USAGE} <event.json>\n` +
  '  (sample events in events/; without --model, the model of RUN_ID, MODEL_BUCKET and MODEL_LOCATION, or the bundled demo)';

const { values, positionals } = readCommandLine(
  COMMAND,
  USAGE,
  { options: MODEL_OPTIONS, allowPositionals: true },
  { positionals: [1, 1] },
);
const [eventFile] = positionals;

const env = process.env;
env.TEST_RUN ??= 'true';
const byCommandLine = values.model !== undefined || values['run-id'] !== undefined;
if (byCommandLine) {
  // The command line chooses the model, as npm run local's does: nothing of the shell's settings.
  for (const name of ['RUN_ID', 'MODEL_BUCKET', 'MLFLOW_EXPERIMENT_ID']) delete env[name];
  env.MODEL_LOCATION = values.model ?? DEMO_MODEL_DIR;
  if (values['run-id'] !== undefined) env.RUN_ID = values['run-id'];
}
const demo = !env.RUN_ID && !env.MODEL_BUCKET && !env.MODEL_LOCATION;
if (demo) env.MODEL_LOCATION = DEMO_MODEL_DIR;
useLocalEnvironment({ logLevel: 'ERROR' }); // rejected records are in the output already

let event: KinesisStreamEvent;
try {
  event = JSON.parse(readFileSync(eventFile, 'utf8')) as KinesisStreamEvent;
} catch (error) {
  fail(COMMAND, `cannot read the event ${eventFile}: ${(error as Error).message}`);
}

// Imported after the environment is set: the handler's telemetry reads it at load.
const { describeLocation, handler, parseConfig } = await import('../lambda/src');
try {
  const { model } = parseConfig(env);
  const unset = byCommandLine ? '--run-id is not given' : 'RUN_ID is not set';
  const label = model.runId === undefined ? `its MLmodel's run id, as ${unset}` : `${byCommandLine ? '--run-id' : 'RUN_ID'} ${model.runId}`;
  const which = demo || env.MODEL_LOCATION === DEMO_MODEL_DIR ? 'the bundled demo model, ' : '';
  console.error(`${COMMAND}: serving ${which}${describeLocation(model.location)}, labelled with ${label}`);
} catch (error) {
  fail(COMMAND, (error as Error).message);
}
try {
  // As Lambda invokes it: a context counting down the stack's timeout.
  console.log(JSON.stringify(await invokeWithTimeout((context) => handler(event!, context)), null, 2));
} catch (error) {
  const message = (error as Error).message;
  fail(COMMAND, byCommandLine ? withModelOptions(message) : message);
}
