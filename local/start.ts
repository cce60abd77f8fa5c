/**
 * npm run local: the whole stream on this machine, and Lambda's invoke API of its function on
 * 127.0.0.1:8080, until Ctrl-C.
 *   npm run local
 *   npm run local -- --model mlruns/1/<run id>/artifacts/model
 *   npm run local -- --model s3://my-mlflow-artifacts/1/<run id>/artifacts/model
 *   npm run local -- --model lin_reg.bin --run-id lin-reg-v1 --shards 4 --invoke-port 9000
 * TEST_RUN=true makes the function write nothing, as it does deployed: predictions are then
 * only returned, to the invoke API's callers.
 */
import { COURSE_RIDE } from '../events/kinesis-event';
import { DEMO_MODEL_DIR } from '../models/demo-model';
import { chooseAwsCli } from './aws-cli';
import { fail as failWith, MODEL_OPTIONS, MODEL_USAGE, readCommandLine, readPort, withModelOptions } from './cli';
import { EXPORT_LOCAL_CREDENTIALS, useLocalEnvironment } from './environment';
import { explainPortInUse, LOCAL_SERVICES, type LocalService } from './port-in-use';

const COMMAND = 'npm run local';
const USAGE = `usage: ${COMMAND} -- ${MODEL_USAGE} [--shards <n>] [--invoke-port <port>] [--kinesis-port <port>] [--s3-port <port>] [--sqs-port <port>]`;
const fail = (message: string): never => failWith(COMMAND, message);

const { values } = readCommandLine(COMMAND, USAGE, {
  options: {
    ...MODEL_OPTIONS,
    shards: { type: 'string', default: '2' },
    'invoke-port': { type: 'string' },
    'kinesis-port': { type: 'string' },
    's3-port': { type: 'string' },
    'sqs-port': { type: 'string' },
  },
});
const shards = Number(values.shards);
if (!Number.isInteger(shards) || shards < 1 || shards > 100)
  failWith(COMMAND, `--shards must be an integer from 1 to 100, got ${JSON.stringify(values.shards)}`, 2);

// Warnings (each rejected record with its reason) and errors, without the metric blobs.
useLocalEnvironment({ logLevel: 'WARN' });

// Imported after the environment is set: the function's telemetry reads it at load.
const { DEFAULT_PORTS, LOCAL_NAMES, startLocalStack } = await import('./local-stack');
const port = (service: LocalService) => {
  const { flag } = LOCAL_SERVICES[service];
  const given = values[flag.slice(2) as `${LocalService}-port`];
  return given === undefined ? DEFAULT_PORTS[service] : readPort(COMMAND, flag, given);
};
const ports = { kinesis: port('kinesis'), s3: port('s3'), sqs: port('sqs'), invoke: port('invoke') };

// A model on S3 is fetched first, with your own AWS credentials, before the emulators' are set.
const { downloadModel } = await import('./local-model');
let modelPath = values.model;
if (modelPath?.startsWith('s3://')) {
  modelPath = await downloadModel(modelPath).catch((error: Error) => fail(`cannot fetch ${values.model}: ${error.message}`));
}

const [stack, cli] = await Promise.all([
  startLocalStack({
    shards,
    ports,
    // --run-id alone labels the demo model, as it labels any other.
    model:
      modelPath === undefined && values['run-id'] === undefined
        ? undefined
        : { path: modelPath ?? DEMO_MODEL_DIR, runId: values['run-id'] },
    testRun: process.env.TEST_RUN,
  }).catch(async (error: Error) => fail((await explainPortInUse(error, ports)) ?? withModelOptions(error.message))),
  chooseAwsCli(),
]);
const { kinesis, s3, sqs, invoke } = stack.endpoints;
const { served } = stack;
const aws = cli.command;
const tailArgs = ports.kinesis === DEFAULT_PORTS.kinesis && ports.sqs === DEFAULT_PORTS.sqs ? '' : ` -- --kinesis ${kinesis} --sqs ${sqs}`;
console.log(`Local ride-duration stream is running.

  Model    ${values.model ?? 'the bundled demo model'}: ${served.model.summary().estimator}, served from ${served.file.uri}
  Version  ${served.version} (every prediction carries it)${
    stack.testRun ? '\n  TEST_RUN on: nothing is written anywhere; the invoke API returns the predictions' : ''
  }
  Kinesis  ${kinesis}   streams ${LOCAL_NAMES.inputStream} -> ${LOCAL_NAMES.outputStream} (${shards} shards each)
  S3       ${s3}   bucket ${LOCAL_NAMES.bucket}
  SQS      ${sqs}   dead letters: ${stack.queueUrls.deadLetters}
  Lambda   ${invoke}   function ${LOCAL_NAMES.function} (the invoke API, as a container's runtime interface emulator serves it)

In another terminal:${cli.note ? `\n\n  (${cli.note})` : ''}

  ${EXPORT_LOCAL_CREDENTIALS}

Send a ride:

  ${aws} --endpoint-url ${kinesis} kinesis put-record --stream-name ${LOCAL_NAMES.inputStream} \\
    --partition-key ${COURSE_RIDE.ride_id} --cli-binary-format raw-in-base64-out \\
    --data '${JSON.stringify(COURSE_RIDE)}'

Watch predictions and dead letters arrive:

  npm run tail${tailArgs}

Or call the function with a Kinesis event, as the course calls its container:

  curl -s -XPOST ${invoke}/2015-03-31/functions/function/invocations --data-binary @events/ride.json
  ${aws} lambda invoke --endpoint-url ${invoke} --function-name ${LOCAL_NAMES.function} \\
    --payload fileb://events/ride.json out.json && cat out.json

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
