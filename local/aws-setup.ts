/** Setting up and reading local AWS: emulators with clients, streams, queues, model uploads. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createClients, type AwsClients } from '../lambda/src/aws-clients';
import { startKinesis, startS3, startSqs, type Emulator } from './emulators';

export interface LocalAws {
  clients: AwsClients;
  /** The *_ENDPOINT_URL variables that point the handler at these emulators. */
  env: Record<string, string>;
  kinesis: Emulator;
  stop(): Promise<void>;
}

export async function startLocalAws(buckets: string[] = []): Promise<LocalAws> {
  const [kinesis, s3, sqs] = await Promise.all([startKinesis(), startS3(buckets), startSqs()]);
  const endpoints = { kinesis: kinesis.endpoint, s3: s3.endpoint, sqs: sqs.endpoint };
  const clients = createClients({ region: 'us-east-1', endpoints });
  return {
    clients,
    env: { KINESIS_ENDPOINT_URL: kinesis.endpoint, S3_ENDPOINT_URL: s3.endpoint, SQS_ENDPOINT_URL: sqs.endpoint },
    kinesis,
    async stop() {
      for (const client of Object.values(clients)) client.destroy();
      await Promise.all([kinesis.stop(), s3.stop(), sqs.stop()]);
    },
  };
}

export async function createStream(kinesis: KinesisClient, name: string, shards = 1): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (StreamDescription?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface StreamRecord {
  partitionKey: string;
  data: unknown;
}

/** Reads a stream from the start, and then whatever has arrived since, shard by shard. */
export class StreamFollower {
  private iterators: (string | undefined)[] = [];

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
  ) {}

  async start(): Promise<this> {
    const { StreamDescription } = await this.kinesis.send(new DescribeStreamCommand({ StreamName: this.streamName }));
    this.iterators = await Promise.all(
      (StreamDescription?.Shards ?? []).map(async (shard) => {
        const { ShardIterator } = await this.kinesis.send(
          new GetShardIteratorCommand({ StreamName: this.streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        return ShardIterator;
      }),
    );
    return this;
  }

  /** Every record that is new since the last call, JSON-decoded. */
  async poll(): Promise<StreamRecord[]> {
    const records: StreamRecord[] = [];
    for (let i = 0; i < this.iterators.length; i++) {
      for (let iterator = this.iterators[i]; iterator; ) {
        const page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        for (const r of page.Records ?? []) {
          records.push({ partitionKey: r.PartitionKey!, data: JSON.parse(Buffer.from(r.Data!).toString('utf8')) });
        }
        iterator = this.iterators[i] = page.NextShardIterator;
        if (!page.Records?.length) break;
      }
    }
    return records;
  }
}

/** Every record in the stream, shard by shard, JSON-decoded. */
export async function readStream(kinesis: KinesisClient, name: string): Promise<StreamRecord[]> {
  return (await new StreamFollower(kinesis, name).start()).poll();
}

export async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
}

/** Receives and deletes every message in the queue; returns the bodies, JSON-decoded. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body!)));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

/** Uploads every file of a local model directory under an S3 prefix, as MLflow would. */
export async function uploadDirectory(s3: S3Client, directory: string, bucket: string, prefix: string): Promise<void> {
  for (const name of await readdir(directory)) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}`, Body: await readFile(join(directory, name)) }));
  }
}
