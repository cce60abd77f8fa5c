/** Local Kinesis streams: making them, and reading them shard by shard. */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';

export type { KinesisRecord };

export async function createStream(kinesis: KinesisClient, name: string, shards = 1): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (StreamDescription?.StreamStatus === 'ACTIVE') return;
    await sleep(20);
  }
}

/** A stream's ARN and the ids of its shards (splits and merges are not followed). */
export async function describeShards(kinesis: KinesisClient, streamName: string): Promise<{ streamArn: string; shardIds: string[] }> {
  const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
  return { streamArn: StreamDescription!.StreamARN!, shardIds: (StreamDescription!.Shards ?? []).map((s) => s.ShardId!) };
}

/**
 * Reads one shard in order, page by page, from its start (TRIM_HORIZON) or from now on
 * (LATEST): the one reader of the event source mapping, the stream follower and npm run tail.
 */
export class ShardReader {
  private iterator: string | undefined;
  private started = false;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    readonly shardId: string,
    private readonly position: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON',
  ) {}

  /** The records that are new since the last read, at most `limit`; empty when none; undefined once the shard is closed. */
  async read(limit = 10_000): Promise<KinesisRecord[] | undefined> {
    if (!this.started) {
      this.started = true;
      const { ShardIterator } = await this.kinesis.send(
        new GetShardIteratorCommand({ StreamName: this.streamName, ShardId: this.shardId, ShardIteratorType: this.position }),
      );
      this.iterator = ShardIterator;
    }
    if (this.iterator === undefined) return undefined;
    const page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }));
    this.iterator = page.NextShardIterator;
    return page.Records ?? [];
  }
}

export interface StreamRecord {
  partitionKey: string;
  data: unknown;
}

/** Reads a stream from the start, and then whatever has arrived since, shard by shard. */
export class StreamFollower {
  private readers: ShardReader[] = [];

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
  ) {}

  async start(): Promise<this> {
    const { shardIds } = await describeShards(this.kinesis, this.streamName);
    this.readers = shardIds.map((id) => new ShardReader(this.kinesis, this.streamName, id));
    return this;
  }

  /** Every record that is new since the last call, JSON-decoded. */
  async poll(): Promise<StreamRecord[]> {
    const records: StreamRecord[] = [];
    for (const reader of this.readers) {
      for (;;) {
        const page = await reader.read();
        for (const r of page ?? [])
          records.push({ partitionKey: r.PartitionKey!, data: JSON.parse(Buffer.from(r.Data!).toString('utf8')) });
        if (!page?.length) break;
      }
    }
    return records;
  }
}

/** Every record in the stream, shard by shard, JSON-decoded. */
export async function readStream(kinesis: KinesisClient, name: string): Promise<StreamRecord[]> {
  return (await new StreamFollower(kinesis, name).start()).poll();
}
