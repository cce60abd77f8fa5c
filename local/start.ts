/**
 * npm run local: the whole stream on this machine, until Ctrl-C.
 *   npm run local -- --shards 4
 */
import { parseArgs } from 'node:util';
import { COURSE_RIDE } from '../events/kinesis-event';

const { values } = parseArgs({ options: { shards: { type: 'string', default: '2' } } });
// Warnings (each rejected record with its reason) and errors, without the metric blobs.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Imported after the environment is set: the function's telemetry reads it at load.
const { LOCAL_NAMES, startLocalStack } = await import('./local-stack');

const stack = await startLocalStack({ shards: Number(values.shards) });
const { kinesis, s3, sqs } = stack.endpoints;
console.log(`Local ride-duration stream is running (the demo model, run ${LOCAL_NAMES.runId}).

  Kinesis  ${kinesis}   streams ${LOCAL_NAMES.inputStream} -> ${LOCAL_NAMES.outputStream} (${values.shards} shards each)
  S3       ${s3}   s3://${LOCAL_NAMES.bucket}/${LOCAL_NAMES.experimentId}/${LOCAL_NAMES.runId}/artifacts/model/
  SQS      ${sqs}   dead letters: ${stack.queueUrls.deadLetters}

Send a ride (in another terminal):

  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
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
