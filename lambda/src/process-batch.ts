import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { deadLetterFor, shardIdOf } from './delivery/dead-letter';
import type { Deadline } from './delivery/deadline';
import type { Sinks } from './delivery/sinks';
import type { RideModel } from './model/ride-model';
import type { BatchObserver } from './monitoring/monitor';
import { METRIC_NAMES } from './names';
import { decodeRideRecord } from './rides/decode-record';
import { type PredictionEvent, predictionEvent } from './rides/prediction-event';
import type { Ride, RideEvent } from './rides/ride';
import type { RideValidator } from './rides/validate-ride';
import { logger, MetricUnit, metrics } from './telemetry';

/** The handler's return value (docs/design.md): Lambda's partial batch response (ReportBatchItemFailures), with the batch's predictions. */
export interface BatchResult extends KinesisStreamBatchResponse {
  predictions: PredictionEvent[];
  /** TEST_RUN only: the records that would have been dead-lettered, and why. */
  rejected?: { sequenceNumber: string; shardId: string; reason: string }[];
}

export interface BatchDependencies {
  model: RideModel;
  version: string;
  validator: RideValidator;
  sinks?: Sinks;
  /** Drift monitoring: told each batch's outcome. */
  drift?: BatchObserver;
}

/** What became of one input record on its way through the pipeline. */
type Outcome =
  | { kind: 'valid'; record: KinesisStreamRecord; ride: RideEvent }
  | { kind: 'predicted'; record: KinesisStreamRecord; ride: Ride; prediction: PredictionEvent }
  | { kind: 'rejected'; record: KinesisStreamRecord; reason: string };

type Predicted = Extract<Outcome, { kind: 'predicted' }>;
type Rejected = Extract<Outcome, { kind: 'rejected' }>;

/** decode -> validate -> features -> predict -> deliver, for one Kinesis batch. */
export async function processBatch(event: KinesisStreamEvent, deps: BatchDependencies, deadline: Deadline): Promise<BatchResult> {
  const outcomes = predict(
    deps.model,
    deps.version,
    event.Records.map((record) => decode(record, deps.validator)),
  );
  const predicted = outcomes.filter((o): o is Predicted => o.kind === 'predicted');
  const rejected = outcomes.filter((o): o is Rejected => o.kind === 'rejected');
  const predictions = predicted.map((o) => o.prediction);
  count(event.Records.length, predicted.length, rejected);

  if (deps.sinks === undefined) {
    metrics.addMetric(METRIC_NAMES.testRunRecords, MetricUnit.Count, event.Records.length);
    const rejectedList = rejected.map(({ record, reason }) => ({
      sequenceNumber: record.kinesis.sequenceNumber,
      shardId: shardIdOf(record),
      reason,
    }));
    deps.drift?.observe(event.Records, predicted, []);
    return { predictions, batchItemFailures: [], rejected: rejectedList };
  }
  const undelivered = await deliver(deps.sinks, predicted, rejected, deadline);
  // Lambda resumes the shard from the lowest failure; input order keeps that obvious.
  const batchItemFailures = event.Records.filter((r) => undelivered.has(r.kinesis.sequenceNumber)).map((r) => ({
    itemIdentifier: r.kinesis.sequenceNumber,
  }));
  deps.drift?.observe(event.Records, predicted, batchItemFailures);
  return { predictions, batchItemFailures };
}

/** decode and validate: a ride, or the reason the record can never be one. */
function decode(record: KinesisStreamRecord, validator: RideValidator): Outcome {
  const decoded = decodeRideRecord(record.kinesis.data, validator);
  return decoded.ok ? { kind: 'valid', record, ride: decoded.event } : { kind: 'rejected', record, reason: decoded.reason };
}

/**
 * features and predict: every valid ride in one pass through the model, which prepares the
 * features it was trained on; a ride the model refuses (a zone its encoder never saw, under
 * handle_unknown="error") or a non-finite prediction rejects its record.
 */
function predict(model: RideModel, version: string, outcomes: Outcome[]): Outcome[] {
  const valid = outcomes.filter((o) => o.kind === 'valid');
  const { values, refusals } = model.predictBatch(valid.map((o) => o.ride.ride));
  let next = 0; // the valid rides are predicted in their order among the outcomes
  return outcomes.map((o): Outcome => {
    if (o.kind !== 'valid') return o;
    const index = next++;
    const duration = values[index];
    const refusal = refusals.get(index);
    if (refusal !== undefined) return { kind: 'rejected', record: o.record, reason: `features: ${refusal}` };
    return Number.isFinite(duration)
      ? { kind: 'predicted', record: o.record, ride: o.ride.ride, prediction: predictionEvent(o.ride.ride_id, duration, version) }
      : {
          kind: 'rejected',
          record: o.record,
          reason: `prediction: the model returned ${duration} for ride ${JSON.stringify(o.ride.ride)}`,
        };
  });
}

function count(records: number, predicted: number, rejected: readonly Rejected[]): void {
  metrics.addMetric(METRIC_NAMES.recordsIn, MetricUnit.Count, records);
  metrics.addMetric(METRIC_NAMES.predictions, MetricUnit.Count, predicted);
  metrics.addMetric(METRIC_NAMES.rejected, MetricUnit.Count, rejected.length);
  for (const { record, reason } of rejected) logger.warn('rejected record', { sequenceNumber: record.kinesis.sequenceNumber, reason });
}

/**
 * deliver: predictions and dead letters side by side, each sink saying itself what it could
 * not deliver; returns the sequence numbers that must be replayed.
 */
async function deliver(
  sinks: Sinks,
  predicted: readonly Predicted[],
  rejected: readonly Rejected[],
  deadline: Deadline,
): Promise<Set<string>> {
  const rejectedAt = new Date().toISOString();
  const deliveries = await Promise.all([
    sinks.predictions.write(
      predicted.map(({ record, prediction }) => ({
        sequenceNumber: record.kinesis.sequenceNumber,
        partitionKey: String(prediction.prediction.ride_id),
        data: Buffer.from(JSON.stringify(prediction)),
      })),
      deadline,
    ),
    sinks.deadLetters.send(
      rejected.map(({ record, reason }) => deadLetterFor(record, reason, rejectedAt)),
      deadline,
    ),
  ]);
  const undelivered = deliveries.flatMap((d) => d.undelivered.map((entry) => entry.sequenceNumber));
  metrics.addMetric(METRIC_NAMES.deliveryRetries, MetricUnit.Count, deliveries[0].retried + deliveries[1].retried);
  metrics.addMetric(METRIC_NAMES.undelivered, MetricUnit.Count, undelivered.length);
  return new Set(undelivered);
}
