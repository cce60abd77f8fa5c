/**
 * The whole pipeline on one machine: kinesalite, s3rver and the local SQS server on
 * 127.0.0.1, the streams, queues and buckets of the stack, the model in the local S3 (the
 * bundled demo unless another is given), and the event source mapping feeding the real
 * prediction service, which Lambda's Invoke API (local/invoke-api.ts) also calls.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { DriftMonitor, ServedModel } from '../lambda/src';
import { type AwsClients, createClients, DEFAULT_EXPERIMENT_ID, parseConfig, RESOURCE_NAMES, startPredictionService } from '../lambda/src';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../models/demo-model';
import { ArchiveWriter } from './archive-writer';
import { type Emulators, startEmulators } from './emulators';
import { useLocalEnvironment } from './environment';
import { EventSourceMapping, type EventSourceSettings } from './event-source-mapping';
import { LOCAL_FUNCTION_NAME } from './invocation';
import { DEFAULT_INVOKE_PORT, type InvokeApi, startInvokeApi } from './invoke-api';
import { type LocalModel, placeModel } from './local-model';
import { createQueue } from './queues';
import { createStream } from './streams';

export const LOCAL_NAMES = {
  inputStream: RESOURCE_NAMES.inputStream,
  outputStream: RESOURCE_NAMES.outputStream,
  deadLetterQueue: RESOURCE_NAMES.deadLetterQueue,
  function: LOCAL_FUNCTION_NAME,
  failedBatchQueue: RESOURCE_NAMES.failedBatchQueue,
  bucket: 'mlflow-artifacts',
  /** Where dead letters too large for SQS are put whole (the function's DEAD_LETTER_BUCKET). */
  deadLetterBucket: 'ride-dead-letter-data',
  /** Where every prediction is archived, as the stack's Firehose delivery stream writes them. */
  archiveBucket: 'ride-predictions-archive',
  experimentId: DEFAULT_EXPERIMENT_ID,
  runId: DEMO_RUN_ID,
} as const;

/** Fixed ports make the printed commands stable; 0 picks free ones (tests). */
export const DEFAULT_PORTS = { kinesis: 4567, s3: 4568, sqs: 9324, invoke: DEFAULT_INVOKE_PORT };

/** The ports of a local stack; the invoke API's on a free one unless given. */
export interface LocalPorts {
  kinesis: number;
  s3: number;
  sqs: number;
  invoke?: number;
}

export interface LocalStackOptions {
  ports?: LocalPorts;
  shards?: number;
  eventSource?: Partial<EventSourceSettings>;
  /** The model to serve: a local directory or model file; the bundled demo model when absent. */
  model?: LocalModel;
  /** Puts something (a fault-injecting proxy) between the function and the output stream. */
  outputEndpoint?: (kinesisEndpoint: string) => Promise<string>;
  /** The function's TEST_RUN, as the variable takes it: on, nothing is written and predictions are only returned. */
  testRun?: string;
  /** The function's variables beyond the stack's (DRIFT_*, REFERENCE_LOCATION, ...). */
  environment?: Record<string, string>;
  /** Archive every prediction to the local S3, as the stack's archive does; on unless false. */
  archive?: boolean;
}

export interface LocalStack {
  /** The emulators, and Lambda's Invoke API of the function. */
  endpoints: { kinesis: string; s3: string; sqs: string; invoke: string };
  queueUrls: { deadLetters: string; failedBatches: string };
  clients: AwsClients;
  /** The emulators, with the SQS server's fault policy and stats. */
  emulators: Emulators;
  mapping: EventSourceMapping;
  /** What the function serves: the model file and the version its predictions carry. */
  served: ServedModel & { readonly version: string };
  /** Whether the function's TEST_RUN is on: it writes nothing. */
  testRun: boolean;
  /** The function's drift monitor (its closed windows), when the model has a reference profile. */
  drift?: DriftMonitor;
  /** The archive's writer (its stats), unless the archive is off. */
  archive?: ArchiveWriter;
  stop(): Promise<void>;
}

/**
 * Starts the pipeline on this machine and returns with the event source mapping polling the
 * input stream. The emulators' credentials are set in `process.env` where the shell set none
 * (local/environment.ts); `stop()` finishes the batches in flight and stops everything.
 *
 * @example
 * ```typescript
 * import { LOCAL_NAMES, startLocalStack } from './local-stack';
 *
 * const stack = await startLocalStack({ ports: { kinesis: 0, s3: 0, sqs: 0 } }); // free ports, the demo model
 * console.log(stack.endpoints.kinesis, stack.served.version);
 * // rides put on LOCAL_NAMES.inputStream (stack.clients.kinesis) come out on LOCAL_NAMES.outputStream
 * await stack.stop();
 * ```
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const ports = options.ports ?? DEFAULT_PORTS;
  useLocalEnvironment({ emulators: true });
  const region = process.env.AWS_REGION!; // set now, if it was not before
  const emulators = await startEmulators({ ports, buckets: [LOCAL_NAMES.bucket, LOCAL_NAMES.deadLetterBucket, LOCAL_NAMES.archiveBucket] });
  let invokeApi: InvokeApi | undefined;
  try {
    const { endpoints } = emulators;
    const { kinesis, s3, sqs } = endpoints;
    const clients = createClients({ region, endpoints });

    const shards = options.shards ?? 2;
    await createStream(clients.kinesis, LOCAL_NAMES.inputStream, shards);
    await createStream(clients.kinesis, LOCAL_NAMES.outputStream, shards);
    const queueUrls = {
      deadLetters: await createQueue(clients.sqs, LOCAL_NAMES.deadLetterQueue),
      failedBatches: await createQueue(clients.sqs, LOCAL_NAMES.failedBatchQueue),
    };
    const modelEnvironment = await placeModel(
      clients.s3,
      LOCAL_NAMES.bucket,
      LOCAL_NAMES.experimentId,
      options.model ?? { path: DEMO_MODEL_DIR },
    );

    // The function's own configuration, as the stack sets it, pointed at the emulators.
    const outputEndpoint = options.outputEndpoint ? await options.outputEndpoint(kinesis) : kinesis;
    const config = parseConfig({
      ...modelEnvironment,
      PREDICTIONS_STREAM_NAME: LOCAL_NAMES.outputStream,
      DEAD_LETTER_QUEUE_URL: queueUrls.deadLetters,
      DEAD_LETTER_BUCKET: LOCAL_NAMES.deadLetterBucket,
      KINESIS_ENDPOINT_URL: outputEndpoint,
      S3_ENDPOINT_URL: s3,
      SQS_ENDPOINT_URL: sqs,
      AWS_REGION: region,
      TEST_RUN: options.testRun,
      ...options.environment,
    });
    // What the Lambda entry point does at cold start, with the configuration handed over
    // rather than read from process.env, so that one process can hold several local stacks.
    const service = await startPredictionService(config);
    const mapping = new EventSourceMapping({
      kinesis: clients.kinesis,
      streamName: LOCAL_NAMES.inputStream,
      handler: (event, context) => service.handle(event, context),
      onFailure: async (failed) =>
        void (await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrls.failedBatches, MessageBody: JSON.stringify(failed) }))),
      settings: options.eventSource,
      functionName: LOCAL_NAMES.function,
    });
    // The same started service, as a container's one process serves both Lambda's poller and its invoke API.
    invokeApi = await startInvokeApi({
      port: ports.invoke ?? 0,
      handler: (event, context) => service.handle(event as KinesisStreamEvent, context),
      functionName: LOCAL_NAMES.function,
      timeoutMs: options.eventSource?.functionTimeoutMs,
    });
    await mapping.start();
    const api = invokeApi;
    const archive =
      options.archive === false
        ? undefined
        : await new ArchiveWriter({
            kinesis: clients.kinesis,
            s3: clients.s3,
            streamName: LOCAL_NAMES.outputStream,
            bucket: LOCAL_NAMES.archiveBucket,
          }).start();
    return {
      endpoints: { ...endpoints, invoke: api.endpoint },
      queueUrls,
      clients,
      emulators,
      mapping,
      served: service.served,
      testRun: config.testRun,
      drift: service.drift,
      archive,
      async stop() {
        await api.stop();
        await mapping.stop();
        await archive?.stop();
        for (const client of Object.values(clients)) client.destroy();
        await emulators.stop();
      },
    };
  } catch (error) {
    await invokeApi?.stop();
    await emulators.stop();
    throw error;
  }
}
