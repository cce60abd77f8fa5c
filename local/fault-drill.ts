/**
 * The fault drill: many rides, a share of them bad in every way the corpus knows (poison
 * pills and records larger than an SQS message among them), through the local stack while a
 * fault-injecting proxy in front of the output stream throttles PutRecords entries and fails
 * whole calls, and the local SQS server fails dead-letter entries and calls. It passes only
 * when every good ride has its correct prediction and every bad one a dead letter with the
 * right reason and its data whole (in the message, or in S3 where the message points).
 *
 * setup (the stack, the faults) -> load (the records in) -> wait (until everything is out)
 * -> verdict (every output checked against what went in).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { BAD_RECORDS, type BadRecord, isReasonFor } from '../events/bad-records';
import type { DeadLetter, PredictionEvent } from '../lambda/src';
import { loadModelAt, parseS3Uri } from '../lambda/src';
import { DEMO_MODEL_DIR } from '../models/demo-model';
import { type FaultStats, seededRandom, startKinesisFaultProxy } from './kinesis-fault-proxy';
import { LOCAL_NAMES, type LocalStack, type LocalStackOptions, startLocalStack } from './local-stack';
import { drainQueue } from './queues';
import type { SqsStats } from './sqs-server';
import { StreamFollower } from './streams';

export interface DrillOptions {
  rides: number;
  /** Share of the rides that are bad records. */
  badShare: number;
  /** Shares of PutRecords entries throttled and of calls failed, on the output stream. */
  rejectEntryRate: number;
  failCallRate: number;
  /** Shares of SendMessageBatch entries answered Failed and of calls failed, on the dead-letter queue. */
  sqsFailEntryRate: number;
  sqsFailCallRate: number;
  seed: number;
  /** Give up when nothing new arrives for this long. */
  stallTimeoutMs: number;
  ports?: LocalStackOptions['ports'];
}

export const DEFAULT_DRILL: DrillOptions = {
  rides: 100_000,
  badShare: 0.01,
  rejectEntryRate: 0.3,
  failCallRate: 0.05,
  sqsFailEntryRate: 0.1,
  sqsFailCallRate: 0.02,
  seed: 1,
  stallTimeoutMs: 60_000,
};

export interface DrillReport {
  options: Omit<DrillOptions, 'ports'>;
  recordsIn: number;
  goodRides: number;
  badRecords: number;
  predictionsWritten: number;
  distinctRidesPredicted: number;
  duplicates: number;
  wrongPredictions: number;
  missingPredictions: number;
  deadLetters: number;
  distinctDeadLettered: number;
  /** Distinct bad records dead-lettered, by kind. */
  deadLettersByKind: Record<string, number>;
  wrongReasons: number;
  /** Dead letters whose data is neither the record's nor a true part of it, nor in S3 where they point. */
  wrongData: number;
  /** Dead letters whose data was put whole in S3. */
  offloadedDeadLetters: number;
  missingDeadLetters: number;
  batchesGivenUp: number;
  invocations: number;
  partialFailureInvocations: number;
  proxy: FaultStats;
  sqs: Pick<SqsStats, 'sendCalls' | 'failedCalls' | 'failedEntries' | 'refused'>;
  /** Prediction records written again, as a share of the good rides. */
  duplicateShare: number;
  /** The drift of the drill's own mix against the demo model's reference, when the model has one. */
  drift?: DrillDrift;
  /** Prediction records the archive wrote to the local S3 (every one written, duplicates too). */
  archivedRecords: number;
  elapsedSeconds: number;
  passed: boolean;
}

/** What the drift monitor saw of the drill: its windows, the rides it counted, and each feature's drift. */
export interface DrillDrift {
  windows: number;
  /** Rides counted in the windows: each predicted ride once, whatever was replayed. */
  ridesCounted: number;
  /** By feature (and `prediction`): the statistic, its range over the windows, and how many windows crossed the threshold. */
  features: { name: string; statistic: string; threshold: number; min: number; max: number; exceeded: number }[];
}

interface Workload {
  entries: { Data: Buffer; PartitionKey: string }[];
  good: { PULocationID: number; DOLocationID: number; trip_distance: number }[];
  bad: BadRecord[];
}

/** Good rides have ride_id = their index; bad record n has a partition key starting "bad-n". */
function workload(options: DrillOptions): Workload {
  const random = seededRandom(options.seed);
  const badCount = Math.round(options.rides * options.badShare);
  const kinds = BAD_RECORDS.filter((r) => r.bytes !== undefined); // what can travel through Kinesis
  const bad = Array.from({ length: badCount }, (_, n) => kinds[n % kinds.length]);
  const good = Array.from({ length: options.rides - badCount }, () => ({
    PULocationID: 1 + Math.floor(random() * 265),
    DOLocationID: 1 + Math.floor(random() * 265),
    trip_distance: Math.round(random() * 3000) / 100,
  }));
  const entries = [
    ...good.map((ride, id) => ({ Data: Buffer.from(JSON.stringify({ ride, ride_id: id })), PartitionKey: String(id) })),
    // Every tenth bad record has a partition key SQS could not carry raw, as a poison pill.
    ...bad.map((record, n) => ({ Data: record.bytes!, PartitionKey: n % 10 === 0 ? `bad-${n}-\uffff` : `bad-${n}` })),
  ];
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return { entries, good, bad };
}

/** The stack with its faults: a throttling proxy before the output stream, failures in the dead-letter queue. */
async function setup(options: DrillOptions): Promise<{ stack: LocalStack; proxyStats: () => FaultStats; stop: () => Promise<void> }> {
  let proxy: Awaited<ReturnType<typeof startKinesisFaultProxy>> | undefined;
  const stack = await startLocalStack({
    ports: options.ports,
    outputEndpoint: async (kinesisEndpoint) => {
      proxy = await startKinesisFaultProxy(kinesisEndpoint, {
        rejectEntryRate: options.rejectEntryRate,
        failCallRate: options.failCallRate,
        random: seededRandom(options.seed + 1),
      });
      return proxy.endpoint;
    },
  });
  stack.emulators.sqsServer.faults = {
    failEntryRate: options.sqsFailEntryRate,
    failCallRate: options.sqsFailCallRate,
    random: seededRandom(options.seed + 2),
  };
  return {
    stack,
    proxyStats: () => ({ ...proxy!.stats }),
    stop: async () => {
      await stack.stop();
      await proxy?.stop();
    },
  };
}

/** Puts every record on the input stream, in calls of 500. */
async function load(stack: LocalStack, entries: Workload['entries']): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    const { FailedRecordCount } = await stack.clients.kinesis.send(
      new PutRecordsCommand({ StreamName: LOCAL_NAMES.inputStream, Records: entries.slice(i, i + 500) }),
    );
    if (FailedRecordCount) throw new Error(`the input stream refused ${FailedRecordCount} records`);
  }
}

interface Outputs {
  predictions: PredictionEvent[];
  letters: DeadLetter[];
  batchesGivenUp: number;
}

/** Collects predictions and dead letters until every ride and bad record has one, or nothing new comes for the stall timeout. */
async function wait(stack: LocalStack, work: Workload, options: DrillOptions, log: (line: string) => void): Promise<Outputs> {
  const output = await new StreamFollower(stack.clients.kinesis, LOCAL_NAMES.outputStream).start();
  const newPredictions = async () => (await output.poll()).map((r) => r.data as PredictionEvent);
  const newLetters = async () => (await drainQueue(stack.clients.sqs, stack.queueUrls.deadLetters)) as DeadLetter[];
  const predictions: PredictionEvent[] = [];
  const letters: DeadLetter[] = [];
  const rideIds = new Set<unknown>();
  const lettered = new Set<string>();
  let lastProgress = Date.now();
  while (rideIds.size < work.good.length || lettered.size < work.bad.length) {
    const fresh = await newPredictions();
    const freshLetters = await newLetters();
    predictions.push(...fresh);
    letters.push(...freshLetters);
    for (const p of fresh) rideIds.add(p.prediction.ride_id);
    for (const l of freshLetters) lettered.add(l.partitionKey);
    if (fresh.length + freshLetters.length > 0) lastProgress = Date.now();
    else if (Date.now() - lastProgress > options.stallTimeoutMs) break;
    else await sleep(250);
    log(`${rideIds.size}/${work.good.length} rides predicted, ${lettered.size}/${work.bad.length} bad records dead-lettered`);
  }
  // Let any replays in flight finish, so that duplicates are counted in full; then the archive writes what it holds.
  await stack.mapping.stop();
  await stack.archive?.stop();
  predictions.push(...(await newPredictions()));
  letters.push(...(await newLetters()));
  const batchesGivenUp = (await drainQueue(stack.clients.sqs, stack.queueUrls.failedBatches)).length;
  return { predictions, letters, batchesGivenUp };
}

/** Whether a dead letter carries its record's data: whole, a true part of it, or whole in S3 where it points. */
async function hasItsData(stack: LocalStack, letter: DeadLetter, record: BadRecord): Promise<boolean> {
  const sent = record.bytes!.toString('base64');
  if (letter.dataLocation !== undefined) {
    const at = parseS3Uri(letter.dataLocation);
    const object = await stack.clients.s3.send(new GetObjectCommand({ Bucket: at?.bucket, Key: at?.key }));
    return (JSON.parse(await object.Body!.transformToString()) as DeadLetter).data === sent;
  }
  return letter.dataTruncated ? sent.startsWith(letter.data) : letter.data === sent;
}

/** Every output checked against what went in. */
async function verdict(
  stack: LocalStack,
  work: Workload,
  outputs: Outputs,
  options: DrillOptions,
): Promise<Omit<DrillReport, 'proxy' | 'sqs' | 'elapsedSeconds'>> {
  const { predictions, letters } = outputs;
  // Every prediction must be the demo model's for that ride.
  const model = await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR }).then((m) => m.model);
  const expected = model.predict(work.good);
  const wrongPredictions = predictions.filter(
    (p) => p.version !== LOCAL_NAMES.runId || p.prediction.ride_duration !== expected[p.prediction.ride_id as number],
  ).length;
  const lettered = new Set<number>();
  let wrongReasons = 0;
  let wrongData = 0;
  for (const letter of letters) {
    const n = Number(/^bad-(\d+)/.exec(letter.partitionKey)?.[1] ?? NaN);
    const record = work.bad[n];
    if (record === undefined) {
      wrongReasons++;
      continue;
    }
    lettered.add(n);
    if (!isReasonFor(record, letter.reason)) wrongReasons++;
    if (!(await hasItsData(stack, letter, record))) wrongData++;
  }
  const deadLettersByKind: Record<string, number> = {};
  for (const n of lettered) deadLettersByKind[work.bad[n].kind] = (deadLettersByKind[work.bad[n].kind] ?? 0) + 1;
  const distinct = new Set(predictions.map((p) => p.prediction.ride_id)).size;
  const { ports: _ports, ...reported } = options; // the ports say nothing of the run
  const report = {
    options: reported,
    recordsIn: work.entries.length,
    goodRides: work.good.length,
    badRecords: work.bad.length,
    predictionsWritten: predictions.length,
    distinctRidesPredicted: distinct,
    duplicates: predictions.length - distinct,
    duplicateShare: (predictions.length - distinct) / Math.max(1, work.good.length),
    wrongPredictions,
    missingPredictions: work.good.length - distinct,
    deadLetters: letters.length,
    distinctDeadLettered: lettered.size,
    deadLettersByKind,
    wrongReasons,
    wrongData,
    offloadedDeadLetters: letters.filter((l) => l.dataLocation !== undefined).length,
    missingDeadLetters: work.bad.length - lettered.size,
    batchesGivenUp: outputs.batchesGivenUp,
    invocations: stack.mapping.stats.invocations,
    partialFailureInvocations: stack.mapping.stats.partialFailures,
    drift: driftOf(stack),
    archivedRecords: stack.archive?.stats.records ?? 0,
    passed: false,
  };
  report.passed =
    report.missingPredictions === 0 &&
    report.wrongPredictions === 0 &&
    report.missingDeadLetters === 0 &&
    report.wrongReasons === 0 &&
    report.wrongData === 0 &&
    (report.drift === undefined || report.drift.ridesCounted === distinct) &&
    (stack.archive === undefined || report.archivedRecords === predictions.length);
  return report;
}

/** The drift monitor's windows, the last one closed now (the drill's end is a local stack's stop). */
function driftOf(stack: LocalStack): DrillDrift | undefined {
  const monitor = stack.drift;
  if (monitor === undefined) return undefined;
  monitor.flush();
  const drifts = monitor.closed.filter((w) => w.driftEmitted).flatMap((w) => [...w.features, w.prediction]);
  const names = [...new Set(drifts.map((d) => d.name))];
  return {
    windows: monitor.closed.length,
    ridesCounted: monitor.counted,
    features: names.map((name) => {
      const of = drifts.filter((d) => d.name === name);
      return {
        name,
        statistic: of[0].statistic,
        threshold: of[0].threshold,
        min: Math.min(...of.map((d) => d.value)),
        max: Math.max(...of.map((d) => d.value)),
        exceeded: of.filter((d) => d.exceeded).length,
      };
    }),
  };
}

/**
 * Runs the drill on a local stack of its own, which it stops however the drill ends, and
 * reports what came out. `overrides` change {@link DEFAULT_DRILL}; `log` gets progress lines.
 *
 * @example
 * ```typescript
 * import { formatDrillReport, runFaultDrill } from './fault-drill';
 *
 * const report = await runFaultDrill({ rides: 10_000, ports: { kinesis: 0, s3: 0, sqs: 0 } }, console.error);
 * console.log(formatDrillReport(report)); // report.passed, report.duplicates, ...
 * ```
 */
export async function runFaultDrill(overrides: Partial<DrillOptions> = {}, log: (line: string) => void = () => {}): Promise<DrillReport> {
  const options = { ...DEFAULT_DRILL, ...overrides };
  const work = workload(options);
  const { stack, proxyStats, stop } = await setup(options);
  try {
    const started = performance.now();
    await load(stack, work.entries);
    log(`put ${work.entries.length} records in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const outputs = await wait(stack, work, options, log);
    const elapsedSeconds = (performance.now() - started) / 1000;
    const { sendCalls, failedCalls, failedEntries, refused } = stack.emulators.sqsServer.stats;
    return {
      ...(await verdict(stack, work, outputs, options)),
      proxy: proxyStats(),
      sqs: { sendCalls, failedCalls, failedEntries, refused },
      elapsedSeconds,
    };
  } finally {
    await stop();
  }
}

/** The report as a person reads it. */
export function formatDrillReport(r: DrillReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const row = (label: string, value: string | number) => `| ${label} | ${value} |`;
  return [
    `Fault drill: ${r.recordsIn.toLocaleString('en-US')} records, ${pct(r.options.badShare)} bad; the output stream throttles ${pct(r.options.rejectEntryRate)} of PutRecords entries and fails ${pct(r.options.failCallRate)} of calls; the dead-letter queue fails ${pct(r.options.sqsFailEntryRate)} of entries and ${pct(r.options.sqsFailCallRate)} of calls (seed ${r.options.seed})`,
    '',
    '| | |',
    '|---|---|',
    row('records in', r.recordsIn),
    row('good rides / bad records', `${r.goodRides} / ${r.badRecords}`),
    row('predictions delivered (distinct ride_id)', r.distinctRidesPredicted),
    row('prediction records written (with duplicates)', r.predictionsWritten),
    row('duplicates (replays after batch item failures)', `${r.duplicates} (${(r.duplicateShare * 100).toFixed(2)}%)`),
    row('wrong or missing predictions', `${r.wrongPredictions} / ${r.missingPredictions}`),
    row('bad records dead-lettered (distinct)', r.distinctDeadLettered),
    row('dead letters written (with duplicates)', r.deadLetters),
    row('dead letters with a wrong reason / wrong data / missing', `${r.wrongReasons} / ${r.wrongData} / ${r.missingDeadLetters}`),
    row('dead letters with their data put whole in S3', r.offloadedDeadLetters),
    row('batches given up', r.batchesGivenUp),
    row('invocations (with batch item failures)', `${r.invocations} (${r.partialFailureInvocations})`),
    row(
      'PutRecords calls / failed whole / entries throttled',
      `${r.proxy.putRecordsCalls} / ${r.proxy.failedCalls} / ${r.proxy.rejectedEntries}`,
    ),
    row('SendMessageBatch calls / failed whole / entries failed', `${r.sqs.sendCalls} / ${r.sqs.failedCalls} / ${r.sqs.failedEntries}`),
    row('prediction records archived (local S3)', r.archivedRecords),
    ...(r.drift
      ? [
          row(
            'drift windows closed / rides counted in them',
            `${r.drift.windows} / ${r.drift.ridesCounted} (each predicted ride once: ${r.drift.ridesCounted === r.distinctRidesPredicted ? 'yes' : 'NO'})`,
          ),
          ...r.drift.features.map((f) =>
            row(
              `drift of the drill's mix: ${f.name} (${f.statistic})`,
              `${f.min.toFixed(3)} to ${f.max.toFixed(3)} over the windows; above ${f.threshold} in ${f.exceeded}`,
            ),
          ),
        ]
      : [row('drift', 'off (no reference profile)')]),
    row('elapsed', `${r.elapsedSeconds.toFixed(1)} s`),
    row(
      'result',
      r.passed
        ? 'PASSED: every good ride predicted, every bad one dead-lettered with its reason and data, every prediction archived, each ride counted once for drift'
        : 'FAILED',
    ),
    '',
    'Bad records dead-lettered, by kind:',
    ...Object.entries(r.deadLettersByKind)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, n]) => `  ${String(n).padStart(4)}  ${kind}`),
  ].join('\n');
}
