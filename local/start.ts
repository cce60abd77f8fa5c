/**
 * npm run local: the whole stream on this machine, until Ctrl-C.
 *   npm run local
 *   npm run local -- --model mlruns/1/<run id>/artifacts/model
 *   npm run local -- --model s3://my-mlflow-artifacts/1/<run id>/artifacts/model
 *   npm run local -- --model lin_reg.bin --run-id lin-reg-v1 --shards 4
 */
import { COURSE_RIDE } from '../events/kinesis-event';
import { DEMO_MODEL_DIR } from '../models/demo-model';
import { fail as failWith, MODEL_OPTIONS, MODEL_USAGE, readCommandLine } from './cli';
import { EXPORT_LOCAL_CREDENTIALS, useLocalEnvironment } from './environment';

const COMMAND = 'npm run local';
const USAGE = `usage: ${COMMAND} -- ${MODEL_USAGE} [--shards <n>]`;
const fail = (message: string): never => failWith(COMMAND, message);

const { values } = readCommandLine(COMMAND, USAGE, { options: { ...MODEL_OPTIONS, shards: { type: 'string', default: '2' } } });
const shards = Number(values.shards);
if (!Number.isInteger(shards) || shards < 1 || shards > 100)
  failWith(COMMAND, `--shards must be an integer from 1 to 100, got ${JSON.stringify(values.shards)}`, 2);

// Warnings (each rejected record with its reason) and errors, without the metric blobs.
useLocalEnvironment({ logLevel: 'WARN' });

// A model on S3 is fetched first, with your own AWS credentials, before the emulators' are set.
const { downloadModel } = await import('./local-model');
let modelPath = values.model;
if (modelPath?.startsWith('s3://')) {
  modelPath = await downloadModel(modelPath).catch((error: Error) => fail(`cannot fetch ${values.model}: ${error.message}`));
}
// Imported after the environment is set: the function's telemetry reads it at load.
const { LOCAL_NAMES, startLocalStack } = await import('./local-stack');

const stack = await startLocalStack({
  shards,
  // --run-id alone labels the demo model, as it labels any other.
  model:
    modelPath === undefined && values['run-id'] === undefined ? undefined : { path: modelPath ?? DEMO_MODEL_DIR, runId: values['run-id'] },
}).catch((error: Error) => fail(error.message + (error.message.startsWith('set RUN_ID') ? ' (pass --run-id <label>)' : '')));
const { kinesis, s3, sqs } = stack.endpoints;
const { served } = stack;
console.log(`Local ride-duration stream is running.

  Model    ${values.model ?? 'the bundled demo model'}: ${served.estimator}, served from ${served.path}
  Version  ${served.version} (every prediction carries it)
  Kinesis  ${kinesis}   streams ${LOCAL_NAMES.inputStream} -> ${LOCAL_NAMES.outputStream} (${shards} shards each)
  S3       ${s3}   bucket ${LOCAL_NAMES.bucket}
  SQS      ${sqs}   dead letters: ${stack.queueUrls.deadLetters}

Send a ride (in another terminal):

  ${EXPORT_LOCAL_CREDENTIALS}
  aws --endpoint-url ${kinesis} kinesis put-record --stream-name ${LOCAL_NAMES.inputStream} \\
    --partition-key ${COURSE_RIDE.ride_id} --cli-binary-format raw-in-base64-out \\
    --data '${JSON.stringify(COURSE_RIDE)}'

Watch predictions and dead letters arrive:

  npm run tail

Ctrl-C stops everything.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    await stack.stop();
    process.exit(0);
  });
}
