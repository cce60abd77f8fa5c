/**
 * The fault drill: many rides, a share of them bad in every way the corpus knows, through
 * the local stack while a fault-injecting proxy in front of the output stream throttles
 * PutRecords entries and fails whole calls. It passes only when every good ride has a
 * correct prediction and every bad one a dead letter with the right reason.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { setTimeout as sleep } from 'node:timers/promises';
import { BAD_RECORDS, isReasonFor, type BadRecord } from '../events/bad-records';
import type { DeadLetter } from '../lambda/src/delivery/dead-letter';
import { loadModelAt } from '../lambda/src/model/load-model';
import { prepareFeatures } from '../lambda/src/rides/features';
import type { PredictionEvent } from '../lambda/src/rides/prediction-event';
import { DEMO_MODEL_DIR } from '../models/demo-model';
import { drainQueue, StreamFollower } from './aws-setup';
import { seededRandom, startKinesisFaultProxy, type FaultStats } from './kinesis-fault-proxy';
import { LOCAL_NAMES, startLocalStack, type LocalStackOptions } from './local-stack';

export interface DrillOptions {
  rides: number;
  /** Share of the rides that are bad records. */
  badShare: number;
  rejectEntryRate: number;
  failCallRate: number;
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
  missingDeadLetters: number;
  batchesGivenUp: number;
  invocations: number;
  partialFailureInvocations: number;
  proxy: FaultStats;
  elapsedSeconds: number;
  passed: boolean;
}

interface Workload {
  entries: { Data: Buffer; PartitionKey: string }[];
  good: { PULocationID: number; DOLocationID: number; trip_distance: number }[];
  bad: BadRecord[];
}

/** Good rides have ride_id = their index; bad record n has partition key "bad-n". */
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
    ...bad.map((record, n) => ({ Data: record.bytes!, PartitionKey: `bad-${n}` })),
  ];
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return { entries, good, bad };
}

export async function runFaultDrill(overrides: Partial<DrillOptions> = {}, log: (line: string) => void = () => {}): Promise<DrillReport> {
  const options = { ...DEFAULT_DRILL, ...overrides };
  const { entries, good, bad } = workload(options);
  let proxyStats: FaultStats | undefined;
  let stopProxy = async () => {};
  const stack = await startLocalStack({
    ports: options.ports,
    outputEndpoint: async (kinesisEndpoint) => {
      const proxy = await startKinesisFaultProxy(kinesisEndpoint, {
        rejectEntryRate: options.rejectEntryRate,
        failCallRate: options.failCallRate,
        random: seededRandom(options.seed + 1),
      });
      proxyStats = proxy.stats;
      stopProxy = proxy.stop;
      return proxy.endpoint;
    },
  });
  const started = performance.now();
  try {
    for (let i = 0; i < entries.length; i += 500) {
      const { FailedRecordCount } = await stack.clients.kinesis.send(
        new PutRecordsCommand({ StreamName: LOCAL_NAMES.inputStream, Records: entries.slice(i, i + 500) }),
      );
      if (FailedRecordCount) throw new Error(`the input stream refused ${FailedRecordCount} records`);
    }
    log(`put ${entries.length} records in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const output = await new StreamFollower(stack.clients.kinesis, LOCAL_NAMES.outputStream).start();
    const newPredictions = async () => (await output.poll()).map((r) => r.data as PredictionEvent);
    const predictions: PredictionEvent[] = [];
    const letters: DeadLetter[] = [];
    const rideIds = new Set<unknown>();
    let lastProgress = Date.now();
    while (rideIds.size < good.length || letters.length < bad.length) {
      const fresh = await newPredictions();
      const freshLetters = (await drainQueue(stack.clients.sqs, stack.queueUrls.deadLetters)) as DeadLetter[];
      predictions.push(...fresh);
      letters.push(...freshLetters);
      fresh.forEach((p) => rideIds.add(p.prediction.ride_id));
      if (fresh.length + freshLetters.length > 0) lastProgress = Date.now();
      else if (Date.now() - lastProgress > options.stallTimeoutMs) break;
      else await sleep(250);
      log(`${rideIds.size}/${good.length} rides predicted, ${letters.length}/${bad.length} dead letters`);
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    // Let any replays in flight finish, so that duplicates are counted in full.
    await stack.mapping.stop();
    predictions.push(...(await newPredictions()));
    letters.push(...((await drainQueue(stack.clients.sqs, stack.queueUrls.deadLetters)) as DeadLetter[]));
    const batchesGivenUp = (await drainQueue(stack.clients.sqs, stack.queueUrls.failedBatches)).length;

    // Every prediction must be the demo model's for that ride.
    const model = await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR }).then((m) => m.model);
    const expected = model.predict(good.map(prepareFeatures));
    const wrongPredictions = predictions.filter(
      (p) => p.version !== LOCAL_NAMES.runId || p.prediction.ride_duration !== expected[p.prediction.ride_id as number],
    ).length;
    const lettered = new Set<number>();
    let wrongReasons = 0;
    for (const letter of letters) {
      const n = Number(letter.partitionKey.slice('bad-'.length));
      lettered.add(n);
      if (!isReasonFor(bad[n], letter.reason)) wrongReasons++;
    }
    const deadLettersByKind: Record<string, number> = {};
    for (const n of lettered) deadLettersByKind[bad[n].kind] = (deadLettersByKind[bad[n].kind] ?? 0) + 1;
    const distinct = new Set(predictions.map((p) => p.prediction.ride_id)).size;
    const report: DrillReport = {
      options: { rides: options.rides, badShare: options.badShare, rejectEntryRate: options.rejectEntryRate, failCallRate: options.failCallRate, seed: options.seed, stallTimeoutMs: options.stallTimeoutMs },
      recordsIn: entries.length,
      goodRides: good.length,
      badRecords: bad.length,
      predictionsWritten: predictions.length,
      distinctRidesPredicted: distinct,
      duplicates: predictions.length - distinct,
      wrongPredictions,
      missingPredictions: good.length - distinct,
      deadLetters: letters.length,
      distinctDeadLettered: lettered.size,
      deadLettersByKind,
      wrongReasons,
      missingDeadLetters: bad.length - lettered.size,
      batchesGivenUp,
      invocations: stack.mapping.stats.invocations,
      partialFailureInvocations: stack.mapping.stats.partialFailures,
      proxy: { ...proxyStats! },
      elapsedSeconds,
      passed: false,
    };
    report.passed = report.missingPredictions === 0 && report.wrongPredictions === 0 && report.missingDeadLetters === 0 && report.wrongReasons === 0;
    return report;
  } finally {
    await stack.stop();
    await stopProxy();
  }
}

/** The report as a person reads it. */
export function formatDrillReport(r: DrillReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const row = (label: string, value: string | number) => `| ${label} | ${value} |`;
  return [
    `Fault drill: ${r.recordsIn.toLocaleString('en-US')} records, ${pct(r.options.badShare)} bad; the output stream throttles ${pct(r.options.rejectEntryRate)} of PutRecords entries and fails ${pct(r.options.failCallRate)} of calls (seed ${r.options.seed})`,
    '',
    '| | |',
    '|---|---|',
    row('records in', r.recordsIn),
    row('good rides / bad records', `${r.goodRides} / ${r.badRecords}`),
    row('predictions delivered (distinct ride_id)', r.distinctRidesPredicted),
    row('prediction records written (with duplicates)', r.predictionsWritten),
    row('duplicates (replays after batch item failures)', r.duplicates),
    row('wrong or missing predictions', `${r.wrongPredictions} / ${r.missingPredictions}`),
    row('bad records dead-lettered (distinct)', r.distinctDeadLettered),
    row('dead letters written (with duplicates)', r.deadLetters),
    row('dead letters with a wrong reason / missing', `${r.wrongReasons} / ${r.missingDeadLetters}`),
    row('batches given up', r.batchesGivenUp),
    row('invocations (with batch item failures)', `${r.invocations} (${r.partialFailureInvocations})`),
    row('PutRecords calls / failed whole / entries throttled', `${r.proxy.putRecordsCalls} / ${r.proxy.failedCalls} / ${r.proxy.rejectedEntries}`),
    row('elapsed', `${r.elapsedSeconds.toFixed(1)} s`),
    row('result', r.passed ? 'PASSED: every good ride predicted, every bad one dead-lettered with its reason' : 'FAILED'),
    '',
    'Bad records dead-lettered, by kind:',
    ...Object.entries(r.deadLettersByKind).sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `  ${String(n).padStart(4)}  ${kind}`),
  ].join('\n');
}
