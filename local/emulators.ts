/** The local stand-ins for AWS, each on 127.0.0.1 with a free port unless one is given. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';
import { checkPortFree, close, listen } from './http';
import { LocalSqsServer } from './sqs-server';

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
}

/** kinesalite, in memory; streams become ACTIVE at once. */
export async function startKinesis(port = 0): Promise<Emulator> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  return { endpoint: await listen(server, port), stop: () => close(server) };
}

/** s3rver, storing objects in a temporary directory that is removed on stop. */
export async function startS3(buckets: string[], port = 0): Promise<Emulator> {
  // s3rver emits a listen error on its server with no listener, which would end the process.
  await checkPortFree(port);
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const s3rver = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: buckets.map((name) => ({ name })) });
  const address = await s3rver.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async stop() {
      await close(s3rver.httpServer!);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The project's local SQS server (local/sqs-server.ts). */
export async function startSqs(port = 0): Promise<Emulator & { server: LocalSqsServer }> {
  const server = new LocalSqsServer();
  const endpoint = await server.start(port);
  return { endpoint, server, stop: () => server.stop() };
}

/** The three emulators, started together: the one way the local stack, the tests and the bench start them. */
export interface Emulators {
  endpoints: { kinesis: string; s3: string; sqs: string };
  /** The *_ENDPOINT_URL variables that point the function at them. */
  env: { KINESIS_ENDPOINT_URL: string; S3_ENDPOINT_URL: string; SQS_ENDPOINT_URL: string };
  /** The SQS server itself, for its fault policy and its stats. */
  sqsServer: LocalSqsServer;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** 0 picks a free port. */
  ports?: { kinesis: number; s3: number; sqs: number };
  /** Buckets s3rver starts with. */
  buckets?: string[];
}

/** Starts kinesalite, s3rver and the local SQS server; if one cannot start, stops the others. */
export async function startEmulators({ ports = { kinesis: 0, s3: 0, sqs: 0 }, buckets = [] }: EmulatorOptions = {}): Promise<Emulators> {
  const started = await Promise.allSettled([startKinesis(ports.kinesis), startS3(buckets, ports.s3), startSqs(ports.sqs)]);
  const stopAll = () => Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined))).then(() => undefined);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const [kinesis, s3, sqs] = started.map((s) => (s as PromiseFulfilledResult<Emulator>).value);
  return {
    endpoints: { kinesis: kinesis.endpoint, s3: s3.endpoint, sqs: sqs.endpoint },
    env: { KINESIS_ENDPOINT_URL: kinesis.endpoint, S3_ENDPOINT_URL: s3.endpoint, SQS_ENDPOINT_URL: sqs.endpoint },
    sqsServer: (sqs as Emulator & { server: LocalSqsServer }).server,
    stop: stopAll,
  };
}
