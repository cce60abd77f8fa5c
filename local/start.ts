/**
 * npm run local: the whole stream on this machine, until Ctrl-C.
 *   npm run local
 *   npm run local -- --model mlruns/1/<run id>/artifacts/model
 *   npm run local -- --model s3://my-mlflow-artifacts/1/<run id>/artifacts/model
 *   npm run local -- --model lin_reg.bin --run-id lin-reg-v1 --shards 4
 */
import { parseArgs } from 'node:util';
import { COURSE_RIDE } from '../events/kinesis-event';
import { EXPORT_LOCAL_CREDENTIALS, useLocalEnvironment } from './environment';

const USAGE = 'usage: npm run local -- [--model <model directory | model file | s3://bucket/prefix-or-key>] [--run-id <id>] [--shards <n>]';
const fail = (message: string): never => {
  console.error(`npm run local: ${message}`);
  process.exit(2);
};

let values: { shards: string; model?: string; 'run-id'?: string; help: boolean };
try {
  ({ values } = parseArgs({
    options: {
      shards: { type: 'string', default: '2' },
      model: { type: 'string' },
      'run-id': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (values!.help) {
  console.log(USAGE);
  process.exit(0);
}
const shards = Number(values!.shards);
if (!Number.isInteger(shards) || shards < 1 || shards > 100)
  fail(`--shards must be an integer from 1 to 100, got ${JSON.stringify(values!.shards)}`);

// Warnings (each rejected record with its reason) and errors, without the metric blobs.
useLocalEnvironment({ logLevel: 'WARN' });

// A model on S3 is fetched first, with your own AWS credentials, before the emulators' are set.
const { downloadModel } = await import('./local-model');
let modelPath = values!.model;
if (modelPath?.startsWith('s3://')) {
  modelPath = await downloadModel(modelPath).catch((error: Error) => fail(`cannot fetch ${values!.model}: ${error.message}`));
}
// Imported after the environment is set: the function's telemetry reads it at load.
const { LOCAL_NAMES, startLocalStack } = await import('./local-stack');

const stack = await startLocalStack({
  shards,
  model: modelPath === undefined ? undefined : { path: modelPath, runId: values!['run-id'] },
}).catch((error: Error) => fail(error.message + (error.message.startsWith('set RUN_ID') ? ' (pass --run-id <label>)' : '')));
const { kinesis, s3, sqs } = stack.endpoints;
const { served } = stack;
console.log(`Local ride-duration stream is running.

  Model    ${values!.model ?? 'the bundled demo model'}: ${served.estimator}, served from ${served.path}
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
