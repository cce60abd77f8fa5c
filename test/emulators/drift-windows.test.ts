/**
 * What per-container drift windows do under what Lambda's event source mapping does to a
 * stream: replays after an invocation fails (bisect on error, a timeout that leaves its work
 * running), a container restart, and a reshard. The real prediction service, the local event
 * source mapping and kinesalite; the numbers are printed for docs/monitoring.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PredictionService, parseConfig, startPredictionService } from '../../lambda/src';
import type { Ride } from '../../lambda/src/rides/ride';
import { createQueue, createStream, type LocalAws, StreamFollower, startLocalAws } from '../../local/aws-setup';
import { EventSourceMapping, type KinesisHandler } from '../../local/event-source-mapping';
import { placeModel } from '../../local/local-model';
import { DEMO_MODEL_DIR } from '../../models/demo-model';
import { readRideFile } from '../../tools/ride-files';
import { waitFor } from '../support/wait-for';

let aws: LocalAws;
let queueUrl: string;
let modelEnvironment: Record<string, string | undefined>;
beforeAll(async () => {
  aws = await startLocalAws(['mlflow-artifacts']);
  queueUrl = await createQueue(aws.clients.sqs, 'dead-letters');
  modelEnvironment = await placeModel(aws.clients.s3, 'mlflow-artifacts', '1', { path: DEMO_MODEL_DIR });
});
afterAll(() => aws.stop());

const rides = (await readRideFile('test/fixtures/rides/demo-fresh.csv')).rides;
let streams = 0;

/** A container: the prediction service started as the Lambda entry point starts it, with drift windows of `windowRides` or `windowSeconds`. */
async function container(output: string, windowRides: number, windowSeconds = 900, reference?: string): Promise<PredictionService> {
  const config = parseConfig({
    ...(reference !== undefined && { REFERENCE_LOCATION: reference }),
    ...modelEnvironment,
    PREDICTIONS_STREAM_NAME: output,
    DEAD_LETTER_QUEUE_URL: queueUrl,
    ...aws.env,
    AWS_REGION: 'us-east-1',
    DRIFT_WINDOW_RIDES: String(windowRides),
    DRIFT_WINDOW_SECONDS: String(windowSeconds),
    DRIFT_MIN_RIDES: '1',
  });
  return startPredictionService(config);
}

async function streamsWith(shards: number): Promise<{ input: string; output: string }> {
  const n = ++streams;
  const names = { input: `rides-${n}`, output: `predictions-${n}` };
  await createStream(aws.clients.kinesis, names.input, shards);
  await createStream(aws.clients.kinesis, names.output, 1);
  return names;
}

async function put(stream: string, batch: readonly Ride[], firstId: number): Promise<void> {
  const entries = batch.map((ride, i) => ({
    Data: Buffer.from(JSON.stringify({ ride, ride_id: firstId + i })),
    PartitionKey: String(firstId + i),
  }));
  for (let i = 0; i < entries.length; i += 500) {
    await aws.clients.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries.slice(i, i + 500) }));
  }
}

/** Predictions read back: how many records, how many distinct rides. */
async function predictionsOf(follower: StreamFollower, seen: { records: number; ids: Set<unknown> }) {
  for (const r of await follower.poll()) {
    seen.records++;
    seen.ids.add((r.data as { prediction: { ride_id: unknown } }).prediction.ride_id);
  }
  return seen;
}

function mapping(input: string, handler: KinesisHandler, settings: ConstructorParameters<typeof EventSourceMapping>[0]['settings'] = {}) {
  return new EventSourceMapping({
    kinesis: aws.clients.kinesis,
    streamName: input,
    handler,
    onFailure: async () => {},
    settings: { batchSize: 100, batchingWindowMs: 50, idlePollMs: 20, ...settings },
  });
}

const measured: Record<string, Record<string, number | string>> = {};

/** A closed tumbling window, as its final invocation saw it. */
interface TumblingWindowSeen {
  shardId: string;
  rides: number;
}

/**
 * The alternative, for the measurement: drift counted in the state Lambda's tumbling windows
 * carry (here the rides counted, by the same rule: what the invocation checkpoints), around a
 * service with drift off. Final invocations record their window.
 */
function tumblingCounter(service: () => PredictionService, windows: TumblingWindowSeen[], faults?: KinesisHandler): KinesisHandler {
  return async (event, context) => {
    const e = event as KinesisStreamTumblingWindowEvent & { shardId: string };
    const rides = Number((e.state as { rides?: number } | undefined)?.rides ?? 0);
    if (e.isFinalInvokeForWindow) {
      windows.push({ shardId: e.shardId, rides });
      return { state: {} };
    }
    if (faults) await faults(event, context);
    const result = await service().handle(event, context);
    const failed = result.batchItemFailures[0]?.itemIdentifier;
    const checkpointed = failed === undefined ? event.Records.length : event.Records.findIndex((r) => r.kinesis.sequenceNumber === failed);
    return { ...result, state: { rides: rides + Math.max(0, checkpointed) } };
  };
}
const sum = (windows: { rides: number }[]) => windows.reduce((n, w) => n + w.rides, 0);
afterAll(() => console.log(`drift windows under replays, restarts and reshards:\n${JSON.stringify(measured, null, 2)}`));

describe('per-container drift windows', () => {
  it('count a batch replayed after a failed invocation once: a thrown error (bisect), or a timeout whose work went on', async () => {
    const { input, output } = await streamsWith(1);
    const service = await container(output, 10_000);
    let invocations = 0;
    const esm = mapping(
      input,
      async (event, context) => {
        invocations++;
        // Every 4th invocation throws before it starts; every 5th outlasts its timeout, then does its work anyway.
        if (invocations % 4 === 0) throw new Error('a dependency failed');
        if (invocations % 5 === 0) await sleep(450);
        return service.handle(event, context);
      },
      { functionTimeoutMs: 400 },
    );
    const follower = await new StreamFollower(aws.clients.kinesis, output).start();
    await put(input, rides.slice(0, 2_000), 0);
    await esm.start();
    const seen = { records: 0, ids: new Set<unknown>() };
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 2_000,
      60_000,
    );
    await esm.stop();
    await sleep(600); // the last timed-out invocation's work lands
    await predictionsOf(follower, seen);
    const drift = service.drift!;
    measured.replays = {
      rides: 2_000,
      invocations: esm.stats.invocations,
      errors: esm.stats.functionErrors,
      timeouts: esm.stats.timeouts,
      predictionRecordsWritten: seen.records,
      ridesCounted: drift.counted,
    };
    expect(esm.stats.timeouts).toBeGreaterThan(0);
    expect(esm.stats.functionErrors).toBeGreaterThan(esm.stats.timeouts);
    expect(seen.records).toBeGreaterThan(2_000); // the timed-out invocations' predictions were written too, and replayed
    expect(drift.counted).toBe(2_000);
  });

  it('lose at most the open window of each shard when a container is replaced', async () => {
    const { input, output } = await streamsWith(2);
    const first = await container(output, 500);
    const second = await container(output, 500);
    let current = first;
    const esm = mapping(input, (event, context) => current.handle(event, context));
    const follower = await new StreamFollower(aws.clients.kinesis, output).start();
    const seen = { records: 0, ids: new Set<unknown>() };
    await esm.start();
    await put(input, rides.slice(0, 1_700), 0);
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 1_700,
    );
    // The container goes (an idle timeout, a deploy, a crash); the next batches go to a new one.
    current = second;
    await put(input, rides.slice(1_700, 3_400), 1_700);
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 3_400,
    );
    await esm.stop();
    const inClosed = (service: PredictionService) => service.drift!.closed.reduce((n, w) => n + w.rides, 0);
    const lost = first.drift!.counted - inClosed(first);
    measured.restart = {
      rides: 3_400,
      windowRides: 500,
      shards: 2,
      countedByTheFirstContainer: first.drift!.counted,
      inItsClosedWindows: inClosed(first),
      lostWithItsOpenWindows: lost,
      countedByTheSecond: second.drift!.counted,
    };
    expect(first.drift!.counted + second.drift!.counted).toBe(3_400);
    expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThan(2 * 500); // at most one open window per shard
  });

  it("split a shard's rides between the containers its batches go to, each window a share of the shard's", async () => {
    const { input, output } = await streamsWith(1);
    const containers = [await container(output, 1_000), await container(output, 1_000)];
    let invocations = 0;
    // Lambda may send a shard's consecutive batches to any free execution environment: here, in turns.
    const esm = mapping(input, (event, context) => containers[invocations++ % 2].handle(event, context));
    const follower = await new StreamFollower(aws.clients.kinesis, output).start();
    const seen = { records: 0, ids: new Set<unknown>() };
    await put(input, rides.slice(0, 3_000), 0);
    await esm.start();
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 3_000,
    );
    await esm.stop();
    const [a, b] = containers.map((c) => c.drift!);
    measured.twoContainersOneShard = {
      rides: 3_000,
      windowRides: 1_000,
      countedByEach: `${a.counted} / ${b.counted}`,
      windowsClosed: a.closed.length + b.closed.length,
      byOneContainerAlone: 3,
    };
    expect(a.counted + b.counted).toBe(3_000);
    expect(a.counted).toBeLessThan(3_000);
    expect(b.counted).toBeLessThan(3_000);
  });

  it("close a resharded shard's window by its age, while its children start windows of their own", async () => {
    const { input, output } = await streamsWith(1);
    let now = Date.now();
    const service = await container(output, 10_000, 2);
    const esm = mapping(input, (event, context) => service.handle(event, context));
    const follower = await new StreamFollower(aws.clients.kinesis, output).start();
    const seen = { records: 0, ids: new Set<unknown>() };
    await esm.start();
    await put(input, rides.slice(0, 800), 0);
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 800,
    );
    await aws.clients.kinesis.send(
      new SplitShardCommand({ StreamName: input, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }),
    );
    await sleep(2_100); // the parent's window is now older than DRIFT_WINDOW_SECONDS (2 s)
    now = Date.now();
    await put(input, rides.slice(800, 1_600), 800);
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 1_600,
    );
    await esm.stop();
    const drift = service.drift!;
    const parent = drift.closed.find((w) => w.shardId === 'shardId-000000000000');
    measured.reshard = {
      rides: 1_600,
      parentWindow: `${parent?.rides} rides, closed by ${parent?.reason}`,
      childWindowsStillOpen: drift.counted - drift.closed.reduce((n, w) => n + w.rides, 0),
      ridesCounted: drift.counted,
      secondsAfterTheSplit: Math.round((Date.now() - now) / 1000),
    };
    expect(parent).toMatchObject({ rides: 800, reason: 'time' });
    expect(drift.counted).toBe(1_600);
    drift.flush();
    expect(new Set(drift.closed.map((w) => w.shardId))).toEqual(
      new Set(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']),
    );
  });
});

describe("Lambda's tumbling windows, as the local mapping emulates them", () => {
  const TUMBLING = { tumblingWindowSeconds: 2 };

  it("count a replayed batch once too: a failed invocation's retry gets the state of the last success", async () => {
    const { input, output } = await streamsWith(1);
    const service = await container(output, 10_000, 900, 'none');
    const windows: TumblingWindowSeen[] = [];
    let invocations = 0;
    const faults: KinesisHandler = async () => {
      invocations++;
      if (invocations % 4 === 0) throw new Error('a dependency failed');
      if (invocations % 5 === 0) await sleep(450);
    };
    const esm = mapping(
      input,
      tumblingCounter(() => service, windows, faults),
      { functionTimeoutMs: 400, ...TUMBLING },
    );
    await put(input, rides.slice(0, 2_000), 0);
    await esm.start();
    await waitFor(
      async () => sum(windows),
      (n) => n >= 2_000,
      60_000,
    );
    await sleep(2_500); // any late window
    await esm.stop();
    measured.tumblingReplays = {
      rides: 2_000,
      invocations: esm.stats.invocations,
      errors: esm.stats.functionErrors,
      timeouts: esm.stats.timeouts,
      windows: windows.length,
      ridesCounted: sum(windows),
    };
    expect(esm.stats.timeouts).toBeGreaterThan(0);
    expect(sum(windows)).toBe(2_000);
  });

  it("lose nothing when a container is replaced: the state is the mapping's", async () => {
    const { input, output } = await streamsWith(2);
    const first = await container(output, 10_000, 900, 'none');
    const second = await container(output, 10_000, 900, 'none');
    let current = first;
    const windows: TumblingWindowSeen[] = [];
    const esm = mapping(
      input,
      tumblingCounter(() => current, windows),
      TUMBLING,
    );
    const follower = await new StreamFollower(aws.clients.kinesis, output).start();
    const seen = { records: 0, ids: new Set<unknown>() };
    await esm.start();
    await put(input, rides.slice(0, 1_700), 0);
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 1_700,
    );
    current = second;
    await put(input, rides.slice(1_700, 3_400), 1_700);
    await waitFor(
      async () => sum(windows),
      (n) => n >= 3_400,
      30_000,
    );
    await esm.stop();
    measured.tumblingRestart = { rides: 3_400, shards: 2, windows: windows.length, ridesCounted: sum(windows) };
    expect(sum(windows)).toBe(3_400);
  });

  it("close a resharded shard's window at its end; its children start their own", async () => {
    const { input, output } = await streamsWith(1);
    const service = await container(output, 10_000, 900, 'none');
    const windows: TumblingWindowSeen[] = [];
    const esm = mapping(
      input,
      tumblingCounter(() => service, windows),
      { tumblingWindowSeconds: 900 },
    );
    const follower = await new StreamFollower(aws.clients.kinesis, output).start();
    const seen = { records: 0, ids: new Set<unknown>() };
    await esm.start();
    await put(input, rides.slice(0, 800), 0);
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 800,
    );
    await aws.clients.kinesis.send(
      new SplitShardCommand({ StreamName: input, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }),
    );
    await put(input, rides.slice(800, 1_600), 800);
    // The parent's window closes when the shard ends; the children's would at 15 minutes.
    await waitFor(
      async () => windows,
      (w) => w.some((x) => x.shardId === 'shardId-000000000000'),
      30_000,
    );
    await waitFor(
      () => predictionsOf(follower, seen),
      (s) => s.ids.size >= 1_600,
    );
    await esm.stop();
    measured.tumblingReshard = {
      rides: 1_600,
      parentWindow: `${windows.find((w) => w.shardId === 'shardId-000000000000')?.rides} rides, closed at the shard's end`,
      finalInvocations: esm.stats.finalInvocations,
    };
    expect(windows).toEqual([{ shardId: 'shardId-000000000000', rides: 800 }]);
  });
});
