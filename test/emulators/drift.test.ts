/**
 * Drift through the local stack, read from the function's EMF output as CloudWatch reads it:
 * rides drawn like the demo model's reference stay under the thresholds; the same rides with
 * their distances doubled and their zones moved cross them. And every prediction is archived
 * in the local S3 as the stack's Firehose delivery stream writes them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ride } from '../../lambda/src/rides/ride';
import { LOCAL_CREDENTIALS } from '../../local/environment';
import { DEMO_REFERENCE_PROFILE } from '../../models/demo-model';
import { captureOutput } from '../support/emf-capture';
import { waitFor } from '../support/wait-for';

// The function's metrics and INFO logs on: set before its modules load (their telemetry reads the environment then),
// so that everything importing lambda/src is imported below, not at the top.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const stdout = captureOutput();
const { LOCAL_NAMES, startLocalStack } = await import('../../local/local-stack');
const { loadModelAt } = await import('../../lambda/src/model/load-model');
const { readRideFile } = await import('../../tools/ride-files');
const { DEMO_MODEL_DIR } = await import('../../models/demo-model');

const AWS_CLI = process.env.AWS_CLI ?? '/usr/bin/aws';
const WINDOW = 4_000;

let stack: Awaited<ReturnType<typeof startLocalStack>>;
beforeAll(async () => {
  stack = await startLocalStack({
    ports: { kinesis: 0, s3: 0, sqs: 0 },
    shards: 1,
    eventSource: { batchingWindowMs: 100, idlePollMs: 50 },
    environment: { DRIFT_WINDOW_RIDES: String(WINDOW) },
  });
});
afterAll(async () => {
  await stack?.stop();
  stdout.stop();
});

async function put(rides: Ride[], firstId: number): Promise<void> {
  const entries = rides.map((ride, i) => ({
    Data: Buffer.from(JSON.stringify({ ride, ride_id: firstId + i })),
    PartitionKey: String(firstId + i),
  }));
  for (let i = 0; i < entries.length; i += 500) {
    await stack.clients.kinesis.send(new PutRecordsCommand({ StreamName: LOCAL_NAMES.inputStream, Records: entries.slice(i, i + 500) }));
  }
}

/** The EMF documents of closed windows: their Drift by feature, and their summaries. */
const drift = () => stdout.emf().filter((d) => 'Drift' in d);
const summaries = () => stdout.emf().filter((d) => 'DriftWindowRides' in d);
const waitForWindows = (n: number) =>
  waitFor(
    async () => summaries().length,
    (k) => k >= n,
    60_000,
  );

const fresh = (await readRideFile('test/fixtures/rides/demo-fresh.csv')).rides.slice(0, WINDOW);
/** The same rides, twice as long, between other zones. */
const shifted = fresh.map((r) => ({
  PULocationID: ((r.PULocationID + 99) % 265) + 1,
  DOLocationID: ((r.DOLocationID + 99) % 265) + 1,
  trip_distance: r.trip_distance * 2,
}));

describe('drift in the local stack, from the EMF output', () => {
  it("starts with the demo model's reference profile and logs its sha256", async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const on = stdout.documents.find((d) => d.message === 'drift monitoring on');
    expect(on).toMatchObject({
      sha256: createHash('sha256').update(readFileSync(DEMO_REFERENCE_PROFILE)).digest('hex'),
      features: ['PU_DO (categorical)', 'trip_distance (numeric)'],
      windowRides: WINDOW,
    });
    expect(stack.drift).toBeDefined();
  });

  it('stays under the thresholds for rides drawn like the reference', async () => {
    await put(fresh, 0);
    await waitForWindows(1);
    const docs = drift();
    expect(docs.map((d) => [d.Feature, d.Kind])).toEqual([
      ['PU_DO', 'categorical'],
      ['trip_distance', 'numeric'],
      ['prediction', 'prediction'],
    ]);
    for (const d of docs) {
      // Every Drift document is both a per-feature metric and a per-kind one (the alarms').
      expect((d._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions).toEqual([
        ['service', 'Feature'],
        ['service', 'Kind'],
      ]);
      expect(d.Drift as number, String(d.Feature)).toBeLessThan(d.Kind === 'categorical' ? 0.1 : 0.2);
    }
    const [summary] = summaries();
    expect(summary.DriftWindowRides).toBe(WINDOW);
    expect(summary.Prediction).toHaveLength(100);
    const model = (await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR })).model;
    const predictions = model.predict(fresh);
    expect(summary.PredictionMean as number).toBeCloseTo(predictions.reduce((a, b) => a + b, 0) / predictions.length, 9);
    const line = stdout.documents.find((d) => d.message === 'drift window closed');
    expect(line).toMatchObject({ level: 'INFO', rides: WINDOW, reason: 'rides', exceeded: [], shardId: 'shardId-000000000000' });
  });

  it('crosses them for the same rides with their distances doubled and their zones moved', async () => {
    await put(shifted, WINDOW);
    await waitForWindows(2);
    const docs = drift().slice(3);
    expect(docs.map((d) => d.Feature)).toEqual(['PU_DO', 'trip_distance', 'prediction']);
    for (const d of docs) expect(d.Drift as number, String(d.Feature)).toBeGreaterThan(d.Kind === 'categorical' ? 0.1 : 0.2);
    const line = stdout.documents.filter((d) => d.message === 'drift window closed')[1];
    expect(line).toMatchObject({ level: 'WARN', exceeded: ['PU_DO', 'trip_distance', 'prediction'] });
    expect(stack.drift?.counted).toBe(2 * WINDOW);
  });

  it('archives every prediction in the local S3 under the archive layout, listed by the AWS CLI', async () => {
    await waitFor(
      async () => stack.archive?.stats.records ?? 0,
      (n) => n >= 2 * WINDOW,
    );
    const { stdout: listing } = await promisify(execFile)(
      AWS_CLI,
      ['--endpoint-url', stack.endpoints.s3, 's3', 'ls', '--recursive', `s3://${LOCAL_NAMES.archiveBucket}/predictions/`],
      { encoding: 'utf8', env: { ...process.env, ...LOCAL_CREDENTIALS } },
    );
    const keys = [...listing.matchAll(/(predictions\/\S+)/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys)
      expect(key).toMatch(
        /^predictions\/year=\d{4}\/month=\d{2}\/day=\d{2}\/ride-predictions-archive-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/,
      );
    const lines: string[] = [];
    for (const key of keys) {
      const object = await stack.clients.s3.send(new GetObjectCommand({ Bucket: LOCAL_NAMES.archiveBucket, Key: key }));
      lines.push(
        ...gunzipSync(await object.Body!.transformToByteArray())
          .toString('utf8')
          .trimEnd()
          .split('\n'),
      );
    }
    const ids = new Set(lines.map((l) => (JSON.parse(l) as { prediction: { ride_id: number } }).prediction.ride_id));
    expect(ids.size).toBe(2 * WINDOW);
  });
});
