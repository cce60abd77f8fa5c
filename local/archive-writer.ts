/**
 * The local stand-in for the stack's archive (lib/constructs/prediction-archive.ts): a
 * Firehose-like reader of the output stream that writes every prediction to the local S3 as
 * the delivery stream writes to its bucket: gzipped JSON lines, one event a line, under
 * `predictions/year=YYYY/month=MM/day=DD/` (UTC, by the records' arrival), in objects named
 * `<delivery stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`, one per buffer. Firehose buffers for
 * 5 minutes or 64 MB; locally the buffer is flushed every few seconds, and on stop.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ARCHIVE_LAYOUT, RESOURCE_NAMES } from '../lambda/src/names';
import { describeShards, type KinesisRecord, ShardReader } from './streams';

export interface ArchiveWriterOptions {
  kinesis: KinesisClient;
  s3: S3Client;
  streamName: string;
  bucket: string;
  /** How often the buffer is written out. */
  flushMs?: number;
  /** How long to wait when no shard has anything new. */
  idlePollMs?: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A Firehose prefix expression with its `!{timestamp:...}` parts filled in for a UTC time. */
export function renderPrefix(expression: string, at: Date): string {
  const parts: Record<string, string> = {
    yyyy: String(at.getUTCFullYear()),
    MM: pad(at.getUTCMonth() + 1),
    dd: pad(at.getUTCDate()),
    HH: pad(at.getUTCHours()),
  };
  return expression.replace(/!\{timestamp:(\w+)\}/g, (_, format: string) => {
    if (!(format in parts)) throw new Error(`no local rendering of !{timestamp:${format}}`);
    return parts[format];
  });
}

/** The object name Firehose gives a buffer it delivers. */
export function archiveObjectKey(at: Date, deliveryStream: string = RESOURCE_NAMES.archiveDeliveryStream): string {
  const stamp = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}-${pad(at.getUTCHours())}-${pad(at.getUTCMinutes())}-${pad(at.getUTCSeconds())}`;
  return `${renderPrefix(ARCHIVE_LAYOUT.prefix, at)}${deliveryStream}-1-${stamp}-${randomUUID()}${ARCHIVE_LAYOUT.suffix}`;
}

/**
 * @example
 * ```typescript
 * const writer = await new ArchiveWriter({ kinesis, s3, streamName: 'ride_predictions', bucket: 'ride-predictions-archive' }).start();
 * // ... predictions arrive ...
 * await writer.stop(); // flushes what is buffered
 * writer.stats; // { records, objects }
 * ```
 */
export class ArchiveWriter {
  readonly stats = { records: 0, objects: 0 };
  private readers: ShardReader[] = [];
  private buffer: KinesisRecord[] = [];
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: ArchiveWriterOptions) {}

  async start(): Promise<this> {
    const { shardIds } = await describeShards(this.options.kinesis, this.options.streamName);
    this.readers = shardIds.map((id) => new ShardReader(this.options.kinesis, this.options.streamName, id));
    this.loop = this.run();
    return this;
  }

  /** Reads what is left, writes the buffer out, and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { flushMs = 2_000, idlePollMs = 200 } = this.options;
    let flushedAt = Date.now();
    for (;;) {
      const stopping = this.stopping; // one more read after stop() was called, then out
      let fetched = 0;
      for (const reader of this.readers) {
        const page = (await reader.read()) ?? [];
        fetched += page.length;
        this.buffer.push(...page);
      }
      if (stopping || Date.now() - flushedAt >= flushMs) {
        await this.flush();
        flushedAt = Date.now();
      }
      if (stopping) return;
      if (fetched === 0) await sleep(idlePollMs);
    }
  }

  /** One object per day the buffered records arrived on, as Firehose partitions by its timestamp. */
  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const records = this.buffer;
    this.buffer = [];
    const byPrefix = new Map<string, KinesisRecord[]>();
    for (const record of records) {
      const prefix = renderPrefix(ARCHIVE_LAYOUT.prefix, record.ApproximateArrivalTimestamp ?? new Date());
      const group = byPrefix.get(prefix);
      if (group) group.push(record);
      else byPrefix.set(prefix, [record]);
    }
    for (const group of byPrefix.values()) {
      const lines = Buffer.concat(group.flatMap((r) => [Buffer.from(r.Data!), Buffer.from('\n')]));
      const key = archiveObjectKey(group[0].ApproximateArrivalTimestamp ?? new Date());
      await this.options.s3.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: gzipSync(lines) }));
      this.stats.records += group.length;
      this.stats.objects++;
    }
  }
}
