import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { deadLetterFor, shardIdOf, type DeadLetterQueue } from './delivery/dead-letter-queue';
import type { OutputRecord, PredictionWriter } from './delivery/prediction-writer';
import type { PipelineModel } from './model/pipeline';
import { decodeRideRecord } from './rides/decode-record';
import { prepareFeatures } from './rides/features';
import { predictionEvent, type PredictionEvent } from './rides/prediction-event';
import type { RideEvent } from './rides/ride';
import { METRIC_NAMES } from './names';
import { logger, metrics, MetricUnit } from './telemetry';

/** The handler's return value (design contract), with Lambda's ReportBatchItemFailures shape. */
export interface BatchResult {
  predictions: PredictionEvent[];
  batchItemFailures: { itemIdentifier: string }[];
  /** TEST_RUN only: the records that would have been dead-lettered, and why. */
  rejected?: { sequenceNumber: string; shardId: string; reason: string }[];
}

export interface BatchDependencies {
  model: PipelineModel;
  version: string;
  /** Both absent in a test run: nothing is written anywhere. */
  sinks?: { predictions: PredictionWriter; deadLetters: DeadLetterQueue };
}

interface Accepted {
  record: KinesisStreamRecord;
  event: RideEvent;
}

interface Rejected {
  record: KinesisStreamRecord;
  reason: string;
}

/** decode -> validate -> features -> predict -> deliver, for one Kinesis batch. */
export async function processBatch(event: KinesisStreamEvent, deps: BatchDependencies): Promise<BatchResult> {
  const { accepted, rejected } = decodeRecords(event.Records);
  const { predicted, predictions } = predict(deps.model, accepted, rejected, deps.version);
  metrics.addMetric(METRIC_NAMES.recordsIn, MetricUnit.Count, event.Records.length);
  metrics.addMetric(METRIC_NAMES.predictions, MetricUnit.Count, predictions.length);
  metrics.addMetric(METRIC_NAMES.rejected, MetricUnit.Count, rejected.length);
  for (const { record, reason } of rejected) {
    logger.warn('rejected record', { sequenceNumber: record.kinesis.sequenceNumber, reason });
  }

  if (deps.sinks === undefined) {
    return {
      predictions,
      batchItemFailures: [],
      rejected: rejected.map(({ record, reason }) => ({
        sequenceNumber: record.kinesis.sequenceNumber,
        shardId: shardIdOf(record),
        reason,
      })),
    };
  }
  const undelivered = await deliver(deps.sinks, predicted, predictions, rejected);
  // Lambda resumes the shard from the lowest failure; input order keeps that obvious.
  const batchItemFailures = event.Records.filter((r) => undelivered.has(r.kinesis.sequenceNumber)).map((r) => ({
    itemIdentifier: r.kinesis.sequenceNumber,
  }));
  return { predictions, batchItemFailures };
}

function decodeRecords(records: readonly KinesisStreamRecord[]) {
  const accepted: Accepted[] = [];
  const rejected: Rejected[] = [];
  for (const record of records) {
    const decoded = decodeRideRecord(record.kinesis.data);
    if (decoded.ok) accepted.push({ record, event: decoded.event });
    else rejected.push({ record, reason: decoded.reason });
  }
  return { accepted, rejected };
}

/** Predicts every accepted ride in one pass; a non-finite prediction rejects its record. */
function predict(model: PipelineModel, accepted: readonly Accepted[], rejected: Rejected[], version: string) {
  const durations = model.predict(accepted.map((a) => prepareFeatures(a.event.ride)));
  const predicted: Accepted[] = [];
  const predictions: PredictionEvent[] = [];
  for (let i = 0; i < accepted.length; i++) {
    const { record, event } = accepted[i];
    const duration = durations[i];
    if (Number.isFinite(duration)) {
      predicted.push(accepted[i]);
      predictions.push(predictionEvent(event.ride_id, duration, version));
    } else {
      rejected.push({ record, reason: `prediction: the model returned ${duration} for ride ${JSON.stringify(event.ride)}` });
    }
  }
  return { predicted, predictions };
}

/** Writes predictions and dead letters; returns the sequence numbers that must be replayed. */
async function deliver(
  sinks: NonNullable<BatchDependencies['sinks']>,
  predicted: readonly Accepted[],
  predictions: readonly PredictionEvent[],
  rejected: readonly Rejected[],
): Promise<Set<string>> {
  const rejectedAt = new Date().toISOString();
  const outputs = predicted.map(
    ({ record }, i): OutputRecord => ({
      sequenceNumber: record.kinesis.sequenceNumber,
      partitionKey: String(predictions[i].prediction.ride_id),
      data: Buffer.from(JSON.stringify(predictions[i])),
    }),
  );
  const [written, deadLettered] = await Promise.all([
    sinks.predictions.write(outputs),
    sinks.deadLetters.send(rejected.map(({ record, reason }) => deadLetterFor(record, reason, rejectedAt))),
  ]);

  metrics.addMetric(METRIC_NAMES.deadLetters, MetricUnit.Count, rejected.length - deadLettered.undelivered.length);
  metrics.addMetric(METRIC_NAMES.deliveryRetries, MetricUnit.Count, written.retried + deadLettered.retried);
  metrics.addMetric(METRIC_NAMES.undelivered, MetricUnit.Count, written.undelivered.length + deadLettered.undelivered.length);
  if (written.undelivered.length > 0) {
    logger.error('predictions not delivered; Kinesis will replay their records', {
      count: written.undelivered.length,
      lastError: written.lastError,
    });
  }
  if (deadLettered.undelivered.length > 0) {
    logger.error('dead letters not delivered; Kinesis will replay their records', {
      count: deadLettered.undelivered.length,
      lastError: deadLettered.lastError,
    });
  }
  return new Set([
    ...written.undelivered.map((r) => r.sequenceNumber),
    ...deadLettered.undelivered.map((l) => l.sequenceNumber),
  ]);
}
